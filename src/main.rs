use status_api::config::Settings;
use status_api::startup::Application;
use status_api::telemetry;

/// Requests allocate many small, short-lived buffers across worker threads,
/// where glibc's allocator spends a tenth of the CPU (see README,
/// Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    // `status-api openapi` prints the OpenAPI document (`make openapi`).
    if std::env::args().nth(1).as_deref() == Some("openapi") {
        print!("{}", status_api::startup::openapi_document());
        return Ok(());
    }
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("status-api: {error}");
            std::process::exit(2);
        }
    };
    telemetry::init_logging();
    let app = Application::build(settings).await?;
    log::info!("listening on http://{}", app.address());
    app.run_until_signalled().await?;
    Ok(())
}
