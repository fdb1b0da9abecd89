//! Calling into wasm: untyped calls with [`Value`]s, typed calls, and the [`Host`] trait
//! for embedders that answer host calls synchronously.
//!
//! The primitive is resumable ([`Store::call`] returns [`Outcome::HostCall`] and the
//! embedder continues with [`Store::resume`]); this module wraps that loop for the common
//! case where a host function can answer at once.

use super::interp::Outcome;
use super::stack::Stack;
use super::store::{Memory, Store};
use super::value::{FuncRef, Value};
use crate::binary::types::ValType;
use crate::error::{Error, ErrorKind, Result};

/// Answers calls to host functions (the ids given to the import resolver).
pub trait Host {
    /// Handles a call to host function `id` with `args` (raw slots; the import's declared
    /// types say how to read them), writing `results`. `memory` is the calling instance's
    /// memory, if it has one. Return an error to trap (e.g. [`ErrorKind::HostTrap`]).
    fn call(
        &mut self,
        id: u32,
        args: &[u64],
        results: &mut [u64],
        memory: Option<&mut Memory<'_>>,
    ) -> Result<()>;

    /// Asked before each [`Host::call`]: whether host function `id` can answer now. If
    /// not, execution pauses with [`ErrorKind::HostCallPending`], all its state in the
    /// stack buffer, and the firmware is free to do other work (start the I/O the call
    /// waits for, run other guests); [`Store::resume_with_host`] asks again later. The
    /// default answers at once.
    fn ready(&mut self, id: u32, args: &[u64]) -> bool {
        let _ = (id, args);
        true
    }
}

/// Most host functions return few values; more than this is rejected as a host trap.
const MAX_HOST_RESULTS: usize = 16;

impl<'a, 'wasm> Store<'a, 'wasm> {
    /// Calls `f` and answers every host call with `host` until it returns.
    ///
    /// If the stack's fuel runs out this returns [`ErrorKind::OutOfFuel`], and if `host`
    /// is not [ready](Host::ready) [`ErrorKind::HostCallPending`] (both of
    /// [`Category::Suspended`](crate::Category::Suspended), the offset being the paused
    /// instruction's): the call is paused, not ended, and [`Store::resume_with_host`]
    /// continues it. Results are in [`Stack::results`] once it has returned.
    pub fn call_with_host(
        &mut self,
        stack: &mut Stack<'_>,
        f: FuncRef,
        args: &[u64],
        host: &mut impl Host,
    ) -> Result<()> {
        let outcome = self.call(stack, f, args)?;
        self.drive(stack, outcome, host)
    }

    /// Continues a call that [`Store::call_with_host`] (or [`Store::invoke`], or
    /// [`TypedFunc::call`]) left paused: out of fuel (give the stack more first, see
    /// [`Stack::set_fuel`]) or waiting for a host function that was not ready.
    pub fn resume_with_host(&mut self, stack: &mut Stack<'_>, host: &mut impl Host) -> Result<()> {
        self.check_owner(stack)?;
        let outcome = match stack.pending_host_call() {
            Some((id, caller)) => Outcome::HostCall { id, caller },
            None => self.continue_call(stack)?,
        };
        self.drive(stack, outcome, host)
    }

    /// Answers host calls until the call returns, traps or pauses.
    fn drive(
        &mut self,
        stack: &mut Stack<'_>,
        mut outcome: Outcome,
        host: &mut impl Host,
    ) -> Result<()> {
        loop {
            match outcome {
                Outcome::Returned => return Ok(()),
                Outcome::OutOfFuel => {
                    return Err(Error::new(ErrorKind::OutOfFuel, stack.regs.pc));
                }
                Outcome::HostCall { id, caller } => {
                    let mut buf = [0u64; MAX_HOST_RESULTS];
                    let Some(results) = buf.get_mut(..stack.host_results()) else {
                        return self
                            .resume_trap(stack, Error::new(ErrorKind::HostTrap, 0))
                            .map(|_| ());
                    };
                    // The arguments are read in place from the stack: any number of them.
                    if !host.ready(id, stack.host_args()) {
                        return Err(Error::new(ErrorKind::HostCallPending, stack.regs.pc));
                    }
                    let mem_slot = self.slots.get(caller as usize).map(|s| s.info.mem_slot);
                    let memory = mem_slot.and_then(|m| self.memory_of_slot(m));
                    match host.call(id, stack.host_args(), results, memory) {
                        Ok(()) => outcome = self.resume(stack, results)?,
                        Err(e) => return self.resume_trap(stack, e).map(|_| ()),
                    }
                }
            }
        }
    }

    /// Calls `f` with typed `args`, checking them against its type, and writes its results
    /// to `results` (which must have room for them); returns how many there are.
    pub fn invoke(
        &mut self,
        stack: &mut Stack<'_>,
        f: FuncRef,
        args: &[Value],
        results: &mut [Value],
        host: &mut impl Host,
    ) -> Result<usize> {
        let ty = self
            .func_type(f)
            .ok_or(Error::new(ErrorKind::UnknownFunction, 0))?;
        let mismatch = Error::new(ErrorKind::TypeMismatch, 0);
        if args.len() != ty.params.len() || results.len() < ty.results.len() {
            return Err(mismatch);
        }
        let mut raw = [0u64; MAX_HOST_RESULTS];
        if args.len() > raw.len() {
            return Err(Error::new(ErrorKind::ImplementationLimit, 0));
        }
        for (i, a) in args.iter().enumerate() {
            if a.ty() as u8 != ty.params[i] {
                return Err(mismatch);
            }
            raw[i] = a.to_bits();
        }
        self.call_with_host(stack, f, &raw[..args.len()], host)?;
        for (i, &bits) in stack.results().iter().enumerate().take(ty.results.len()) {
            results[i] = Value::from_bits(ty.result(i), bits);
        }
        Ok(ty.results.len())
    }

    /// A typed handle to `f`, checked once here so each call need not check again.
    pub fn typed<P: WasmParams, R: WasmResults>(&self, f: FuncRef) -> Result<TypedFunc<P, R>> {
        let ty = self
            .func_type(f)
            .ok_or(Error::new(ErrorKind::UnknownFunction, 0))?;
        if !P::matches(ty.params) || !R::matches(ty.results) {
            return Err(Error::new(ErrorKind::TypeMismatch, 0));
        }
        Ok(TypedFunc {
            f,
            _marker: core::marker::PhantomData,
        })
    }
}

impl Stack<'_> {
    /// How many results the paused host call must produce.
    pub fn host_results(&self) -> usize {
        match self.pause {
            super::stack::Pause::Host { results, .. } => results as usize,
            super::stack::Pause::Idle | super::stack::Pause::Fuel => 0,
        }
    }
}

/// A function whose type was checked to be `P -> R`.
#[derive(Debug)]
pub struct TypedFunc<P, R> {
    f: FuncRef,
    _marker: core::marker::PhantomData<fn(P) -> R>,
}

impl<P: WasmParams, R: WasmResults> TypedFunc<P, R> {
    /// Calls the function.
    pub fn call(
        &self,
        store: &mut Store<'_, '_>,
        stack: &mut Stack<'_>,
        host: &mut impl Host,
        params: P,
    ) -> Result<R> {
        let mut raw = [0u64; 8];
        let n = params.write(&mut raw);
        store.call_with_host(stack, self.f, &raw[..n], host)?;
        Ok(R::read(stack.results()))
    }

    /// Continues a call of this function that paused (out of fuel or on a pending host
    /// call, see [`Store::call_with_host`]) and returns its results once it has returned.
    pub fn resume(
        &self,
        store: &mut Store<'_, '_>,
        stack: &mut Stack<'_>,
        host: &mut impl Host,
    ) -> Result<R> {
        store.resume_with_host(stack, host)?;
        Ok(R::read(stack.results()))
    }
}

/// A Rust type that is one wasm value.
pub trait WasmType: Copy {
    /// Its wasm type.
    const TYPE: ValType;
    /// To a slot.
    fn to_bits(self) -> u64;
    /// From a slot.
    fn from_bits(bits: u64) -> Self;
}

macro_rules! wasm_type {
    ($t:ty, $vt:ident, |$s:ident| $to:expr, |$b:ident| $from:expr) => {
        impl WasmType for $t {
            const TYPE: ValType = ValType::$vt;
            fn to_bits(self) -> u64 {
                let $s = self;
                $to
            }
            fn from_bits($b: u64) -> Self {
                $from
            }
        }
    };
}
wasm_type!(i32, I32, |s| s as u32 as u64, |b| b as u32 as i32);
wasm_type!(u32, I32, |s| s as u64, |b| b as u32);
wasm_type!(i64, I64, |s| s as u64, |b| b as i64);
wasm_type!(u64, I64, |s| s, |b| b);
wasm_type!(f32, F32, |s| s.to_bits() as u64, |b| f32::from_bits(
    b as u32
));
wasm_type!(f64, F64, |s| s.to_bits(), |b| f64::from_bits(b));

/// Parameter lists for [`TypedFunc`]: `()`, a single [`WasmType`], or tuples of up to 4.
pub trait WasmParams: Copy {
    /// Whether the declared parameter types match.
    fn matches(types: &[u8]) -> bool;
    /// Writes the slots; returns how many.
    fn write(self, out: &mut [u64; 8]) -> usize;
}

/// Result lists for [`TypedFunc`]: `()`, a single [`WasmType`], or tuples of up to 4.
pub trait WasmResults: Sized {
    /// Whether the declared result types match.
    fn matches(types: &[u8]) -> bool;
    /// Reads the slots.
    fn read(slots: &[u64]) -> Self;
}

impl WasmParams for () {
    fn matches(types: &[u8]) -> bool {
        types.is_empty()
    }
    fn write(self, _: &mut [u64; 8]) -> usize {
        0
    }
}

impl WasmResults for () {
    fn matches(types: &[u8]) -> bool {
        types.is_empty()
    }
    fn read(_: &[u64]) -> Self {}
}

impl<T: WasmType> WasmParams for T {
    fn matches(types: &[u8]) -> bool {
        types == [T::TYPE as u8]
    }
    fn write(self, out: &mut [u64; 8]) -> usize {
        out[0] = self.to_bits();
        1
    }
}

impl<T: WasmType> WasmResults for T {
    fn matches(types: &[u8]) -> bool {
        types == [T::TYPE as u8]
    }
    fn read(slots: &[u64]) -> Self {
        T::from_bits(slots.first().copied().unwrap_or(0))
    }
}

macro_rules! tuples {
    ($($n:literal: ($($t:ident $i:tt),+);)*) => {$(
        impl<$($t: WasmType),+> WasmParams for ($($t,)+) {
            fn matches(types: &[u8]) -> bool {
                types == [$($t::TYPE as u8),+]
            }
            fn write(self, out: &mut [u64; 8]) -> usize {
                $(out[$i] = self.$i.to_bits();)+
                $n
            }
        }
        impl<$($t: WasmType),+> WasmResults for ($($t,)+) {
            fn matches(types: &[u8]) -> bool {
                types == [$($t::TYPE as u8),+]
            }
            fn read(slots: &[u64]) -> Self {
                ($($t::from_bits(slots.get($i).copied().unwrap_or(0)),)+)
            }
        }
    )*};
}
tuples! {
    2: (A 0, B 1);
    3: (A 0, B 1, C 2);
    4: (A 0, B 1, C 2, D 3);
}

/// A host with no functions: every call traps.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoHost;

impl Host for NoHost {
    fn call(&mut self, _: u32, _: &[u64], _: &mut [u64], _: Option<&mut Memory<'_>>) -> Result<()> {
        Err(Error::new(ErrorKind::HostTrap, 0))
    }
}
