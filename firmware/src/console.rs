//! Text output to the host through semihosting (QEMU prints it on its stdout).
//!
//! Output is gathered into lines before each semihosting call: a call stops the emulated
//! CPU and costs the host far more than formatting does, so fewer, longer writes keep runs
//! quick. The handle to the host's stdout is opened once.

use core::cell::Cell;
use core::fmt;

use cortex_m::interrupt::{self, Mutex};
use cortex_m_semihosting::hio::{self, HostStream};

/// The host's stdout, opened on first use (each semihosting `open` takes a new handle).
static STDOUT: Mutex<Cell<Option<HostStream>>> = Mutex::new(Cell::new(None));

fn write_host(bytes: &[u8]) {
    let stream = interrupt::free(|cs| {
        let cell = STDOUT.borrow(cs);
        if cell.get().is_none() {
            cell.set(hio::hstdout().ok());
        }
        cell.get()
    });
    if let Some(mut s) = stream {
        let _ = s.write_all(bytes);
    }
}

/// A line-buffered writer to the host's stdout; flushes on newline, when full and on drop.
pub struct Console {
    buf: [u8; 160],
    len: usize,
}

impl Console {
    /// An empty line buffer.
    pub const fn new() -> Self {
        Console {
            buf: [0; 160],
            len: 0,
        }
    }

    /// Sends what is buffered.
    pub fn flush(&mut self) {
        if self.len > 0 {
            write_host(&self.buf[..self.len]);
            self.len = 0;
        }
    }

    /// Writes raw bytes (guest output need not be UTF-8).
    pub fn write_bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.len == self.buf.len() {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
            if b == b'\n' {
                self.flush();
            }
        }
    }
}

impl Default for Console {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_bytes(s.as_bytes());
        Ok(())
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Prints to the host's stdout.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {{
        use ::core::fmt::Write as _;
        let mut c = $crate::console::Console::new();
        let _ = ::core::write!(c, $($arg)*);
    }};
}

/// Prints a line to the host's stdout.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => {{
        use ::core::fmt::Write as _;
        let mut c = $crate::console::Console::new();
        let _ = ::core::writeln!(c, $($arg)*);
    }};
}
