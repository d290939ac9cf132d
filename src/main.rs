use status_api::config::Settings;
use status_api::startup::Application;
use status_api::telemetry;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
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
