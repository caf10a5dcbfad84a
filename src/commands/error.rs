//! [`Error`]: how a command that did not succeed ends, and what it says on stderr.

use super::{eprint_line, Exit};
use std::fmt;

/// Why a command did not succeed: its exit status and the lines `main` prints on stderr
/// (through [`eprint_line`], once). A command that printed its problems as it found them
/// carries no lines; one whose reader of stdout went away carries none either, with exit 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    exit: Exit,
    lines: Vec<String>,
}

impl Error {
    /// Invalid input (exit 2): the line `error: MESSAGE`.
    pub fn invalid(message: impl fmt::Display) -> Error {
        Error::lines(Exit::Invalid, vec![format!("error: {message}")])
    }

    /// A failure (exit 1): the line `error: MESSAGE`.
    pub fn failure(message: impl fmt::Display) -> Error {
        Error::lines(Exit::Failure, vec![format!("error: {message}")])
    }

    /// Ended by a signal (exit 130), saying `line` as it is (`interrupted: …`).
    pub fn interrupted(line: impl Into<String>) -> Error {
        Error::lines(Exit::Interrupted, vec![line.into()])
    }

    /// Objectives missed (exit 3), one line each (`objective missed: …`).
    pub fn objective_missed(lines: Vec<String>) -> Error {
        Error::lines(Exit::ObjectiveMissed, lines)
    }

    /// Exit `exit`, saying `lines` as they are (none: the command already said it all).
    pub fn lines(exit: Exit, lines: Vec<String>) -> Error {
        Error { exit, lines }
    }

    /// Exit `exit`, having already said why on stderr (a notice printed before the
    /// command's output, which must keep its place).
    pub fn already_said(exit: Exit) -> Error {
        Error::lines(exit, Vec::new())
    }

    /// The reader of stdout went away: the command stops quietly with exit 0 ([`super::print`]).
    pub fn stdout_closed() -> Error {
        Error::lines(Exit::Success, Vec::new())
    }

    /// Whether this is [`Error::stdout_closed`].
    pub fn is_stdout_closed(&self) -> bool {
        self.exit == Exit::Success
    }

    /// The exit status.
    pub fn exit(&self) -> Exit {
        self.exit
    }

    /// Prints the lines on stderr, escaped (nothing when there are none).
    pub fn eprint(&self) {
        if !self.lines.is_empty() {
            eprint_line(&self.to_string());
        }
    }
}

/// The lines, joined by newlines (without a final one).
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines.join("\n"))
    }
}

impl std::error::Error for Error {}

/// An error from the end of a command's result: what `main` makes of it.
pub fn exit_of(result: Result<(), Error>) -> Exit {
    match result {
        Ok(()) => Exit::Success,
        Err(e) => {
            e.eprint();
            e.exit()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::ExitCode;

    #[test]
    fn each_kind_has_its_exit_status_and_text() {
        let cases = [
            (Error::invalid("bad"), Exit::Invalid, "error: bad"),
            (Error::failure(7), Exit::Failure, "error: 7"),
            (
                Error::interrupted("interrupted: x"),
                Exit::Interrupted,
                "interrupted: x",
            ),
            (
                Error::objective_missed(vec![
                    "objective missed: a".into(),
                    "objective missed: b".into(),
                ]),
                Exit::ObjectiveMissed,
                "objective missed: a\nobjective missed: b",
            ),
            (Error::stdout_closed(), Exit::Success, ""),
        ];
        for (e, exit, text) in cases {
            assert_eq!(e.exit(), exit);
            assert_eq!(e.to_string(), text);
            assert_eq!(e.is_stdout_closed(), exit == Exit::Success);
        }
    }

    #[test]
    fn exit_statuses_are_the_documented_numbers() {
        for (exit, code) in [
            (Exit::Success, 0u8),
            (Exit::Failure, 1),
            (Exit::Invalid, 2),
            (Exit::ObjectiveMissed, 3),
            (Exit::Interrupted, 130),
        ] {
            assert_eq!(ExitCode::from(exit), ExitCode::from(code));
        }
    }

    #[test]
    fn a_result_becomes_its_exit_status() {
        assert_eq!(exit_of(Ok(())), Exit::Success);
        assert_eq!(
            exit_of(Err(Error::lines(Exit::Invalid, vec![]))),
            Exit::Invalid
        );
        assert_eq!(exit_of(Err(Error::stdout_closed())), Exit::Success);
    }
}
