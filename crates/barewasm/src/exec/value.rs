//! Values (spec 4.2.1) and their one-slot representation.
//!
//! Every value occupies one `u64` slot on the value stack and in globals and tables:
//! integers and floats by their bits (32-bit ones zero-extended), references as
//! `0` = null, otherwise a non-zero handle. Zeroed memory is therefore a valid set of
//! default values (0, 0.0 and null), which is how locals are initialised.

use crate::binary::types::ValType;

/// A function reference: which instance slot and which function index in it.
///
/// Packed as `(slot + 1) << 32 | func` so that `0` is null.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FuncRef {
    /// The instance slot the function belongs to.
    pub slot: u32,
    /// The function index within that instance's module (imports included).
    pub func: u32,
}

impl FuncRef {
    /// The slot encoding (never 0).
    #[inline]
    pub const fn to_bits(self) -> u64 {
        ((self.slot as u64 + 1) << 32) | self.func as u64
    }

    /// Decodes a non-null slot value.
    #[inline]
    pub const fn from_bits(bits: u64) -> Option<FuncRef> {
        if bits == 0 {
            None
        } else {
            Some(FuncRef {
                slot: (bits >> 32) as u32 - 1,
                func: bits as u32,
            })
        }
    }
}

/// A WebAssembly value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32`, by bits so NaN payloads survive.
    F32(u32),
    /// `f64`, by bits so NaN payloads survive.
    F64(u64),
    /// `funcref` (`None` = null).
    FuncRef(Option<FuncRef>),
    /// `externref`: an opaque host value (`None` = null).
    ExternRef(Option<u32>),
}

impl Value {
    /// The value's type.
    pub const fn ty(&self) -> ValType {
        match self {
            Value::I32(_) => ValType::I32,
            Value::I64(_) => ValType::I64,
            Value::F32(_) => ValType::F32,
            Value::F64(_) => ValType::F64,
            Value::FuncRef(_) => ValType::FuncRef,
            Value::ExternRef(_) => ValType::ExternRef,
        }
    }

    /// The slot representation.
    pub const fn to_bits(self) -> u64 {
        match self {
            Value::I32(v) => v as u32 as u64,
            Value::I64(v) => v as u64,
            Value::F32(v) => v as u64,
            Value::F64(v) => v,
            Value::FuncRef(None) | Value::ExternRef(None) => 0,
            Value::FuncRef(Some(f)) => f.to_bits(),
            Value::ExternRef(Some(x)) => x as u64 + 1,
        }
    }

    /// Reads a slot as a value of type `ty`.
    pub const fn from_bits(ty: ValType, bits: u64) -> Value {
        match ty {
            ValType::I32 => Value::I32(bits as u32 as i32),
            ValType::I64 => Value::I64(bits as i64),
            ValType::F32 => Value::F32(bits as u32),
            ValType::F64 => Value::F64(bits),
            ValType::FuncRef => Value::FuncRef(FuncRef::from_bits(bits)),
            ValType::ExternRef => Value::ExternRef(if bits == 0 {
                None
            } else {
                Some((bits - 1) as u32)
            }),
        }
    }

    /// The zero value of a type (spec 4.2.1 "default value").
    pub const fn default_of(ty: ValType) -> Value {
        Value::from_bits(ty, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let vs = [
            Value::I32(-1),
            Value::I64(i64::MIN),
            Value::F32(0x7fa0_0001),
            Value::F64(0xfff8_0000_0000_0001),
            Value::FuncRef(None),
            Value::FuncRef(Some(FuncRef { slot: 3, func: 7 })),
            Value::ExternRef(Some(0)),
            Value::ExternRef(Some(u32::MAX)),
            Value::ExternRef(None),
        ];
        for v in vs {
            assert_eq!(Value::from_bits(v.ty(), v.to_bits()), v);
        }
        assert_eq!(Value::default_of(ValType::FuncRef), Value::FuncRef(None));
    }
}
