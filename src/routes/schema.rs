//! Request-body schemas for the OpenAPI document, built from the domain's
//! own limits so that the spec and the validation share one source.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};

/// A string field; lengths are in characters, as the contract counts them.
pub fn string(min_chars: usize, max_chars: Option<usize>, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .min_length(Some(min_chars))
        .max_length(max_chars)
        .description(Some(description))
}

pub fn email(max_chars: usize) -> ObjectBuilder {
    string(
        1,
        Some(max_chars),
        "An email address; stored and compared lowercased.",
    )
    .format(Some(SchemaFormat::Custom("email".to_owned())))
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
