//! The login row under the URL bar, shown when the camera answers 401: user name and
//! password, sent with the next connection.

use eframe::egui::{self, RichText};

use super::action::Action;
use super::overlay::WARN;
use crate::net::Credentials;
use crate::stats::ConnState;

/// What is typed into the login row.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Login {
    /// User name; empty means "no login".
    pub user: String,
    /// Password; may be empty.
    pub password: String,
}

impl std::fmt::Debug for Login {
    // Never print a password into a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Login {
    /// The credentials to connect with, if a user name was typed.
    pub fn credentials(&self) -> Option<Credentials> {
        (!self.user.is_empty()).then(|| Credentials {
            user: self.user.clone(),
            password: (!self.password.is_empty()).then(|| self.password.clone()),
        })
    }
}

/// Whether the login row is shown: the server asked for credentials, or refused them.
pub fn wanted(state: &ConnState) -> bool {
    matches!(state, ConnState::Waiting { failure, .. } if failure.wants_credentials())
}

/// Draws the row; Sign in asks to connect again, with these credentials.
pub fn login_ui(ui: &mut egui::Ui, login: &mut Login) -> Option<Action> {
    ui.horizontal(|ui| {
        ui.label(RichText::new("This camera needs a login:").color(WARN));
        // Each field is labelled for screen readers (and found by its label in tests).
        let user = ui.label("User").id;
        ui.add(egui::TextEdit::singleline(&mut login.user).desired_width(120.0))
            .labelled_by(user);
        let password = ui.label("Password").id;
        ui.add(
            egui::TextEdit::singleline(&mut login.password)
                .password(true)
                .desired_width(120.0),
        )
        .labelled_by(password);
        ui.button("Sign in").clicked().then_some(Action::Connect)
    })
    .inner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_user_means_no_login_and_an_empty_password_means_none() {
        assert_eq!(Login::default().credentials(), None);
        let login = Login {
            user: "pi".into(),
            password: String::new(),
        };
        assert_eq!(
            login.credentials(),
            Some(Credentials {
                user: "pi".into(),
                password: None
            })
        );
        let secret = Login {
            user: "pi".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
