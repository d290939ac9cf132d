//! The texts of every message, one function per kind: plain text with an
//! HTML alternative, each telling when, from which IP address and with
//! which browser the request came, and what to do if it was not you.
//! Everything that came from a user (the name, the user agent) is escaped
//! in the HTML part.

use lettre::Message;
use lettre::message::header::MessageId;
use lettre::message::{Mailbox, MultiPart};

use crate::domain::{LinkKind, MailDetails, NoticeKind};

const SERVICE: &str = "status-api";

/// A message's subject and its two bodies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A message whose link is `link` (`PUBLIC_URL/...#token=…`).
pub fn with_link(kind: LinkKind, details: &MailDetails, link: &str) -> Rendered {
    match kind {
        LinkKind::VerifyEmail => verify_email(details, link),
        LinkKind::ConfirmEmailChange => confirm_email_change(details, link),
        LinkKind::ResetPassword => reset_password(details, link),
    }
}

pub fn notice(kind: NoticeKind, details: &MailDetails) -> Rendered {
    match kind {
        NoticeKind::PasswordChanged => password_changed(details),
        NoticeKind::PasswordReset => password_reset(details),
        NoticeKind::EmailChangeRequested => email_change_requested(details),
    }
}

fn verify_email(details: &MailDetails, link: &str) -> Rendered {
    Letter {
        subject: format!("Confirm your email address for {SERVICE}"),
        says: "Please confirm that this is your email address by opening this link:",
        action: Some(("Confirm my email address", link)),
        when: "Asked for",
        not_you: "If you did not create an account or ask for this link, ignore this \
                  message: the address stays unconfirmed and nothing else happens.",
    }
    .render(details)
}

fn confirm_email_change(details: &MailDetails, link: &str) -> Rendered {
    Letter {
        subject: format!("Confirm your new email address for {SERVICE}"),
        says: "You asked to make this the email address of your account. It changes \
               only once you open this link:",
        action: Some(("Confirm my new email address", link)),
        when: "Asked for",
        not_you: "If you did not ask for this, ignore this message: the account's \
                  address does not change.",
    }
    .render(details)
}

fn reset_password(details: &MailDetails, link: &str) -> Rendered {
    Letter {
        subject: format!("Reset your {SERVICE} password"),
        says: "Someone asked to reset the password of your account. Open this link to \
               choose a new one; it works once, and only for a short time:",
        action: Some(("Choose a new password", link)),
        when: "Asked for",
        not_you: "If you did not ask for this, ignore this message: your password stays \
                  as it is.",
    }
    .render(details)
}

fn password_changed(details: &MailDetails) -> Rendered {
    Letter {
        subject: format!("Your {SERVICE} password was changed"),
        says: "The password of your account was changed, and every session that was \
               signed in with the old one has ended.",
        action: None,
        when: "Changed",
        not_you: "If this was not you, someone knows your password: reset it at once \
                  with \"Forgot your password?\" on the sign-in page, which ends every \
                  session, then look through your account's security events.",
    }
    .render(details)
}

fn password_reset(details: &MailDetails) -> Rendered {
    Letter {
        subject: format!("Your {SERVICE} password was reset"),
        says: "The password of your account was reset with a link sent to this \
               address, and every other session has ended.",
        action: None,
        when: "Reset",
        not_you: "If this was not you, someone can read your mail: secure your email \
                  account first, then reset your password again.",
    }
    .render(details)
}

fn email_change_requested(details: &MailDetails) -> Rendered {
    Letter {
        subject: format!("A new email address was requested for your {SERVICE} account"),
        says: "Someone signed in to your account asked to move it to another email \
               address, and a link to confirm that address was mailed to it. Nothing \
               changes unless that link is opened: until then this address stays your \
               account's.",
        action: None,
        when: "Asked for",
        not_you: "If this was not you, someone knows your password: change it at once, \
                  which ends every session and makes the link useless, then look through \
                  your account's security events. If you can no longer sign in with this \
                  address, contact the people who run this service.",
    }
    .render(details)
}

/// One message's parts, laid out the same way for every kind.
struct Letter<'a> {
    subject: String,
    says: &'a str,
    /// The button's label and the link.
    action: Option<(&'a str, &'a str)>,
    /// How the request is named in "… on <time>".
    when: &'a str,
    not_you: &'a str,
}

impl Letter<'_> {
    fn render(&self, details: &MailDetails) -> Rendered {
        let user_agent = if details.user_agent.is_empty() {
            "(none sent)"
        } else {
            details.user_agent.as_str()
        };
        let facts = [
            (self.when, details.requested_at.to_string()),
            ("IP address", details.ip.clone()),
            ("Browser", user_agent.to_owned()),
        ];

        let mut text = format!("Hello {},\n\n{}\n\n", details.name, self.says);
        if let Some((_, link)) = self.action {
            text.push_str(&format!("{link}\n\n"));
        }
        for (label, value) in &facts {
            text.push_str(&format!("{label}: {value}\n"));
        }
        text.push_str(&format!("\n{}\n\n-- \n{SERVICE}\n", self.not_you));

        let mut html = format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\
             <body>\n<p>Hello {},</p>\n<p>{}</p>\n",
            escape(&self.subject),
            escape(&details.name),
            escape(self.says)
        );
        if let Some((label, link)) = self.action {
            html.push_str(&format!(
                "<p><a href=\"{0}\">{1}</a></p>\n<p>{0}</p>\n",
                escape(link),
                escape(label)
            ));
        }
        html.push_str("<table>\n");
        for (label, value) in &facts {
            html.push_str(&format!(
                "<tr><th align=\"left\">{}</th><td>{}</td></tr>\n",
                escape(label),
                escape(value)
            ));
        }
        html.push_str(&format!(
            "</table>\n<p>{}</p>\n<p>{SERVICE}</p>\n</body></html>\n",
            escape(self.not_you)
        ));

        Rendered {
            subject: self.subject.clone(),
            text,
            html,
        }
    }
}

/// Text as HTML shows it, markup characters included.
fn escape(raw: &str) -> String {
    let mut escaped = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The message as sent: `from`, to `to`, both parts as alternatives.
/// `message_id` is the same on every try, so a duplicate (possible only
/// after a crash or an expired lease) is recognisable as one.
pub fn build(
    from: &Mailbox,
    to: &str,
    message_id: String,
    rendered: Rendered,
) -> Result<Message, String> {
    let to = to
        .parse()
        .map_err(|error| format!("the recipient's address: {error}"))?;
    Message::builder()
        .from(from.clone())
        .to(Mailbox::new(None, to))
        .subject(rendered.subject)
        .header(MessageId::from(message_id))
        .multipart(MultiPart::alternative_plain_html(
            rendered.text,
            rendered.html,
        ))
        .map_err(|error| format!("building the message: {error}"))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::domain::{MailKind, Timestamp};

    fn details(name: &str, user_agent: &str) -> MailDetails {
        MailDetails {
            name: name.to_owned(),
            requested_at: Timestamp::from_utc(datetime!(2026-11-26 11:05:37.5)),
            ip: "203.0.113.9".to_owned(),
            user_agent: user_agent.to_owned(),
        }
    }

    const LINK: &str = "https://app.example.com/reset-password#token=abc_DEF-123";

    fn every_kind(details: &MailDetails) -> Vec<(MailKind, Rendered)> {
        MailKind::ALL
            .into_iter()
            .map(|kind| {
                let rendered = match kind {
                    MailKind::Link(kind) => with_link(kind, details, LINK),
                    MailKind::Notice(kind) => notice(kind, details),
                };
                (kind, rendered)
            })
            .collect()
    }

    #[test]
    fn what_a_user_typed_is_escaped_in_the_html_only() {
        let name = "<b>Bob</b> & \"Co\" 'x'";
        let agent = "<script>alert(1)</script>";
        for (kind, rendered) in every_kind(&details(name, agent)) {
            assert!(
                rendered
                    .html
                    .contains("&lt;b&gt;Bob&lt;/b&gt; &amp; &quot;Co&quot; &#39;x&#39;"),
                "{kind:?}: {}",
                rendered.html
            );
            assert!(
                rendered
                    .html
                    .contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "{kind:?}"
            );
            assert!(!rendered.html.contains("<b>"), "{kind:?}");
            assert!(!rendered.html.contains("<script>"), "{kind:?}");
            assert!(rendered.text.contains(name), "{kind:?}");
            assert!(rendered.text.contains(agent), "{kind:?}");
        }
    }

    #[test]
    fn every_message_tells_when_where_from_and_what_if_not_you() {
        for (kind, rendered) in every_kind(&details("Alice", "Mozilla/5.0 (X11)")) {
            for part in [&rendered.text, &rendered.html] {
                assert!(part.contains("Alice"), "{kind:?}");
                assert!(part.contains("2026-11-26T11:05:37Z"), "{kind:?}");
                assert!(part.contains("203.0.113.9"), "{kind:?}");
                assert!(part.contains("Mozilla/5.0 (X11)"), "{kind:?}");
                assert!(
                    part.contains("If "),
                    "{kind:?}: what to do if it was not you"
                );
            }
            assert!(!rendered.subject.is_empty(), "{kind:?}");
        }
    }

    #[test]
    fn links_are_in_both_parts_and_notices_carry_none() {
        for (kind, rendered) in every_kind(&details("Alice", "")) {
            match kind {
                MailKind::Link(_) => {
                    assert!(rendered.text.contains(&format!("\n{LINK}\n")), "{kind:?}");
                    assert!(
                        rendered.html.contains(&format!("<a href=\"{LINK}\">")),
                        "{kind:?}"
                    );
                }
                MailKind::Notice(_) => {
                    for part in [&rendered.text, &rendered.html] {
                        assert!(!part.contains("http"), "{kind:?}: {part}");
                        assert!(!part.contains("token"), "{kind:?}");
                    }
                }
            }
            assert!(rendered.text.contains("Browser: (none sent)"), "{kind:?}");
        }
    }

    #[test]
    fn a_message_has_both_parts_as_alternatives() {
        let from: Mailbox = "status-api <no-reply@localhost>".parse().unwrap();
        let rendered = notice(NoticeKind::PasswordChanged, &details("Alice", "ua"));
        let message = build(
            &from,
            "alice@example.com",
            "<1.2@localhost>".into(),
            rendered,
        )
        .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("To: alice@example.com"), "{raw}");
        assert!(raw.contains("Message-ID: <1.2@localhost>"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/plain"), "{raw}");
        assert!(raw.contains("text/html"), "{raw}");
        assert!(
            build(
                &from,
                "not an address",
                "<1@x>".into(),
                notice(NoticeKind::PasswordReset, &details("A", ""))
            )
            .is_err()
        );
    }
}
