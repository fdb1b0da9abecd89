//! The section layout of a module (spec 5.5.2-5.5.16), indexed once as byte ranges.
//!
//! This is the only pass over the whole module that happens before validation: it checks
//! the header, that every section's size fits, and that sections come in the prescribed
//! order. Everything else is read from these ranges when needed.

use super::reader::Reader;
use crate::error::{Error, ErrorKind, Result};

/// Section ids (spec 5.5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum SectionId {
    Custom = 0,
    Type = 1,
    Import = 2,
    Function = 3,
    Table = 4,
    Memory = 5,
    Global = 6,
    Export = 7,
    Start = 8,
    Element = 9,
    Code = 10,
    Data = 11,
    DataCount = 12,
}

impl SectionId {
    /// The position a section must take in the module: data count sits between element
    /// and code although its id is 12.
    const fn rank(id: u8) -> u8 {
        match id {
            12 => 10,
            10 => 11,
            11 => 12,
            n => n,
        }
    }
}

/// Name of the custom section holding a precomputed side table (its format is in
/// [`crate::module::side_table`]).
pub const SIDE_TABLE_SECTION: &str = "barewasm.side";

/// A byte range `[start, end)` of the module.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Range {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Range {
    /// Bytes in the range.
    pub const fn len(&self) -> u32 {
        self.end - self.start
    }

    /// Whether the range is empty.
    pub const fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// Where each known section's contents lie (absent sections are `None`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sections {
    ranges: [Option<Range>; 13],
    /// The `barewasm.side` custom section: the whole section (from its id byte), and its
    /// contents after the name.
    side: Option<(Range, Range)>,
    /// Whether the `barewasm.fused` custom section enables fused opcodes.
    fused: bool,
}

impl Sections {
    /// The contents of section `id`, if present.
    pub fn get(&self, id: SectionId) -> Option<Range> {
        self.ranges[id as usize]
    }

    /// The contents (after the name) of the custom section holding a precomputed side
    /// table ([`SIDE_TABLE_SECTION`]), if the module has one.
    pub fn side_table(&self) -> Option<Range> {
        self.side.map(|s| s.1)
    }

    /// The whole side-table custom section, from its id byte, if the module has one.
    pub fn side_table_section(&self) -> Option<Range> {
        self.side.map(|s| s.0)
    }

    /// Whether the module enables [fused opcodes](super::fused) with a
    /// [`SECTION_NAME`](super::fused::SECTION_NAME) custom section.
    pub fn fused(&self) -> bool {
        self.fused
    }

    /// A reader over section `id`'s contents, or an empty reader at the module's end.
    pub fn reader<'wasm>(&self, bytes: &'wasm [u8], id: SectionId) -> Reader<'wasm> {
        match self.get(id) {
            Some(r) => Reader::at(bytes, r.start as usize, r.end as usize),
            None => Reader::at(bytes, bytes.len(), bytes.len()),
        }
    }

    /// Checks the header and indexes the sections of `bytes`.
    pub fn index(bytes: &[u8]) -> Result<Sections> {
        if bytes.len() > u32::MAX as usize / 2 {
            return Err(Error::new(ErrorKind::ImplementationLimit, 0));
        }
        let mut r = Reader::new(bytes);
        // Too short to hold the magic: cut short ("unexpected end", as the spec's reference
        // decoder reports it, whatever the bytes are).
        if bytes.len() < 4 {
            return Err(Error::new(ErrorKind::UnexpectedEnd, bytes.len()));
        }
        let magic = r.bytes(4).map_err(|_| Error::new(ErrorKind::BadMagic, 0))?;
        if magic != b"\0asm" {
            return Err(Error::new(ErrorKind::BadMagic, 0));
        }
        let version = r.fixed_u32()?;
        if version != 1 {
            return Err(Error::new(ErrorKind::UnknownVersion, 4));
        }
        let mut s = Sections::default();
        let mut last_rank = 0u8;
        while !r.is_empty() {
            let id_at = r.pos();
            let id = r.u8()?;
            if id > 12 {
                return Err(Error::new(ErrorKind::UnknownSection, id_at));
            }
            let size = r.count()?;
            let start = r.pos();
            if size > r.remaining() {
                // The spec reports a section running past the end as "unexpected end" or
                // "length out of bounds"; both are malformed.
                return Err(Error::new(ErrorKind::UnexpectedEnd, start));
            }
            r.skip(size)?;
            let range = Range {
                start: start as u32,
                end: (start + size) as u32,
            };
            if id == 0 {
                // A custom section: its name must be valid UTF-8; its contents are opaque.
                let mut c = Reader::at(bytes, start, start + size);
                let name = c.name()?;
                if name == super::fused::SECTION_NAME {
                    // Exactly the format byte, once.
                    if s.fused || c.remaining() != 1 || c.u8()? != super::fused::FORMAT_VERSION {
                        return Err(Error::new(ErrorKind::BadFusedInstruction, id_at));
                    }
                    s.fused = true;
                } else if name == SIDE_TABLE_SECTION {
                    // One side table only: a second would leave which one counts unclear.
                    if s.side.is_some() {
                        return Err(Error::new(ErrorKind::BadSideTable, id_at));
                    }
                    let whole = Range {
                        start: id_at as u32,
                        end: range.end,
                    };
                    let contents = Range {
                        start: c.pos() as u32,
                        end: range.end,
                    };
                    s.side = Some((whole, contents));
                }
                continue;
            }
            let rank = SectionId::rank(id);
            if rank <= last_rank {
                return Err(Error::new(ErrorKind::SectionOutOfOrder, id_at));
            }
            // Every known section starts with a count or an index: an empty one is cut
            // short (and must not pass for an absent one, which readers take it for).
            if size == 0 {
                return Err(Error::new(ErrorKind::UnexpectedEnd, start));
            }
            last_rank = rank;
            s.ranges[id as usize] = Some(range);
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: [u8; 8] = [0, b'a', b's', b'm', 1, 0, 0, 0];

    fn with(sections: &[u8]) -> [u8; 64] {
        let mut m = [0u8; 64];
        m[..8].copy_from_slice(&HEADER);
        m[8..8 + sections.len()].copy_from_slice(sections);
        m
    }

    #[test]
    fn header() {
        assert!(Sections::index(&HEADER).is_ok());
        assert_eq!(
            Sections::index(b"\0asn\x01\0\0\0").unwrap_err().kind(),
            ErrorKind::BadMagic
        );
        assert_eq!(
            Sections::index(b"\0asm\x02\0\0\0").unwrap_err().kind(),
            ErrorKind::UnknownVersion
        );
        // Cut short: "unexpected end", as the spec's binary.wast expects.
        for cut in [&b""[..], b"\0as", b"\0asm", b"\0asm\x01\0"] {
            assert_eq!(
                Sections::index(cut).unwrap_err().kind(),
                ErrorKind::UnexpectedEnd
            );
        }
        assert_eq!(
            Sections::index(b"\0bsm").unwrap_err().kind(),
            ErrorKind::BadMagic
        );
    }

    #[test]
    fn order_and_sizes() {
        let m = with(&[1, 1, 0, 3, 1, 0]);
        let s = Sections::index(&m[..14]).unwrap();
        assert_eq!(s.get(SectionId::Type), Some(Range { start: 10, end: 11 }));
        assert_eq!(
            s.get(SectionId::Function),
            Some(Range { start: 13, end: 14 })
        );
        let m = with(&[3, 1, 0, 1, 1, 0]);
        let e = Sections::index(&m[..14]).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::SectionOutOfOrder, 11));
        // Data count (12) goes before code (10).
        let m = with(&[12, 1, 0, 10, 1, 0]);
        assert!(Sections::index(&m[..14]).is_ok());
        let m = with(&[10, 1, 0, 12, 1, 0]);
        assert!(Sections::index(&m[..14]).is_err());
        let m = with(&[1, 5, 0]);
        assert_eq!(
            Sections::index(&m[..11]).unwrap_err().kind(),
            ErrorKind::UnexpectedEnd
        );
        let m = with(&[13, 0]);
        assert_eq!(
            Sections::index(&m[..10]).unwrap_err().kind(),
            ErrorKind::UnknownSection
        );
    }
}
