//! Request-body schemas for the OpenAPI document, built from the domain's
//! own limits so that the spec and the validation share one source.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};

/// Control characters (Unicode category Cc, what `char::is_control` means),
/// and the whitespace that `str::trim` removes, as regex classes. Spelled
/// out rather than `\s`, whose meaning differs between regex engines.
const CONTROLS: &str = r"\u0000-\u001F\u007F-\u009F";
const CONTROLS_BUT_NEWLINE: &str = r"\u0000-\u0009\u000B-\u001F\u007F-\u009F";
const PRINTABLE_SPACES: &str = r" \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// No control characters, and something besides whitespace.
pub fn single_line_text_pattern() -> String {
    let (c, w) = (CONTROLS, PRINTABLE_SPACES);
    format!("^[^{c}]*[^{c}{w}][^{c}]*$")
}

/// No control characters but newlines, and something besides whitespace.
pub fn multi_line_text_pattern() -> String {
    let (c, w) = (CONTROLS_BUT_NEWLINE, PRINTABLE_SPACES);
    format!(r"^[^{c}]*[^{c}{w}\n][^{c}]*$")
}

/// A string field; lengths are in characters, as the contract counts them.
pub fn string(min_chars: usize, max_chars: Option<usize>, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .min_length(Some(min_chars))
        .max_length(max_chars)
        .description(Some(description))
}

/// A display name, as at registration and rename.
pub fn user_name(max_chars: usize) -> ObjectBuilder {
    string(1, Some(max_chars), "No control characters; stored trimmed.")
        .pattern(Some(single_line_text_pattern()))
}

/// A new password, as at registration and password change. The bounds are
/// bytes, and the schema counts characters: 8 bytes can be 2 characters, and
/// 72 characters can only be 72 one-byte ones.
pub fn new_password(min_bytes: usize, max_bytes: usize, description: &str) -> ObjectBuilder {
    string(min_bytes.div_ceil(4), Some(max_bytes), description)
}

pub fn email(max_chars: usize) -> ObjectBuilder {
    let description = format!(
        "An email address; stored and compared normalised: the domain in its ASCII form \
         (IDNA, UTS #46 non-transitional, as browsers do) and the whole address lowercased. \
         The normalised form must be valid too (at most {max_chars} characters, domain labels \
         at most 63)."
    );
    string(1, Some(max_chars), &description).format(Some(SchemaFormat::Custom("email".to_owned())))
}

/// The token of a mailed link (`PUBLIC_URL/<page>#token=…`): 64 lowercase
/// hex digits. Any other string is an unknown token (`400`), not a field
/// error, so the pattern describes what can succeed.
/// `link` names the link, as in "a verification link (`…`)".
pub fn token(chars: usize, link: &str) -> ObjectBuilder {
    let description = format!(
        "The token of {link}: {chars} lowercase hex digits. Any other string is an unknown \
         token (`400`)."
    );
    string(chars, Some(chars), &description).pattern(Some(format!("^[0-9a-f]{{{chars}}}$")))
}

/// A closed object: every listed field required, no others allowed.
pub fn closed_object(
    fields: Vec<(&str, ObjectBuilder)>,
    example: serde_json::Value,
) -> RefOr<Schema> {
    fields
        .into_iter()
        .fold(ObjectBuilder::new(), |object, (name, schema)| {
            object.property(name, schema).required(name)
        })
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .examples([example])
        .into()
}
