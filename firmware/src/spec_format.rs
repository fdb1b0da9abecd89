//! The spec blob's tags, shared by `spec-pack` (which writes blobs; it includes this file
//! by path) and the `spec` image (which runs them). The format is described in
//! `spec-pack/src/main.rs`.

/// The blob's first eight bytes: a name and the format version.
pub const MAGIC: &[u8; 8] = b"BWSPEC\0\x02";

/// Command tags.
pub mod tag {
    /// Instantiate a module; it becomes the segment's next module.
    pub const MODULE: u8 = 1;
    /// Make a module's exports importable under a name.
    pub const REGISTER: u8 = 2;
    /// Call an export; it must not trap.
    pub const INVOKE: u8 = 3;
    /// Call an export and compare its results.
    pub const ASSERT_RETURN: u8 = 4;
    /// Call an export; it must trap.
    pub const ASSERT_TRAP: u8 = 5;
    /// Call an export; it must exhaust the stack.
    pub const ASSERT_EXHAUSTION: u8 = 6;
    /// Read an exported global and compare it.
    pub const ASSERT_GET: u8 = 7;
    /// Instantiating the module must trap.
    pub const UNINSTANTIABLE: u8 = 8;
    /// Linking the module must fail.
    pub const UNLINKABLE: u8 = 9;
    /// Validation must reject the module.
    pub const INVALID: u8 = 10;
    /// Decoding must reject the module.
    pub const MALFORMED: u8 = 11;
    /// The module must validate (a `module definition`).
    pub const VALID: u8 = 12;
}
