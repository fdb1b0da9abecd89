//! Board support for running barewasm on QEMU's `mps2-an386` (Cortex-M4) with 96 KiB of
//! RAM enforced by the MPU. Shared by the firmware images in `src/bin/`:
//!
//! | image | what it does | expected exit |
//! |---|---|---|
//! | `baseline` | boots, programs the MPU, prints; runs no wasm (flash-size baseline) | 0 |
//! | `minimal` | one small module with a host call (runtime flash size; builds for Cortex-M0) | 0 |
//! | `programs` | compute kernel, the Rust guest, host calls, traps; checks every result | 0 |
//! | `mpu-violation` | touches memory outside the 96 KiB / writes flash: must fault | 3 (stack overflow: QEMU lockup, 134) |
//! | `timeslice` | two guests in turns of fuel: an endless loop and the Rust guest, whose prints suspend | 0 |
//! | `spec` | runs a blob of spec scripts made by `spec-pack` (in a RAM test window) | 0 |
//!
//! Exit codes are in [`board`]. `unsafe` is confined to the MPU registers, semihosting
//! calls, the pool's and test window's one `&'static mut`, typed carving ([`carve`]) and the
//! stack scans, each with its reason.
#![no_std]

pub mod board;
pub mod carve;
pub mod console;
pub mod figures;
pub mod harness;
pub mod spec_format;
