//! The exit code of each kind of failure: 2 for invalid input or usage, 1 for anything else.
//! (130 and 143, interruption by SIGINT and SIGTERM, are set where signals are handled.)

use steppe::error::Error;

pub fn exit_code(error: &Error) -> u8 {
    match error {
        Error::Invalid(_) | Error::Usage(_) => 2,
        Error::Failure(_) => 1,
    }
}
