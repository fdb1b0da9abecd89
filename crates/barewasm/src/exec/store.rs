//! The store and instantiation (spec 4.2.3 and 4.5).
//!
//! A [`Store`] owns nothing: the host hands it a slice of [`InstanceSlot`]s (one per
//! instance or host-defined memory it will hold) and a byte arena for globals, tables,
//! import maps and segment flags, which are bump-allocated as instances are created.
//! Every entity has an address that other instances can import:
//!
//! - a function is a [`FuncRef`]: an instance slot and a function index in its module
//!   (calls through an imported index follow that instance's import map);
//! - a global is the arena index of its cell (`[type, value]`);
//! - a table is the arena index of its header (`[size, max, capacity, elem type]`, then
//!   one slot per element of capacity);
//! - a memory is the slot that owns its buffer.

use crate::binary::opcodes::ConstInstr;
use crate::binary::reader::Reader;
use crate::binary::sections::SectionId;
use crate::binary::types::{ExternKind, FuncType, GlobalType, MemType, TableType, ValType};
use crate::buffer::align_u64;
use crate::error::{BufferKind, Error, ErrorKind, Result};
use crate::exec::value::{FuncRef, Value};
use crate::module::Module;

/// Import-map entries for host functions carry this bit; the low 32 bits are the host's id.
pub(crate) const HOST_BIT: u64 = 1 << 63;
const NONE: u32 = u32::MAX;
/// A table header's maximum when the type declares none.
pub(crate) const NO_MAX: u64 = u64::MAX;

/// Import matching of maxima (spec 4.5.2.2): a required maximum needs a provided one at
/// or below it.
fn limits_match(have: Option<u64>, want: Option<u64>) -> bool {
    match want {
        None => true,
        Some(w) => have.is_some_and(|h| h <= w),
    }
}

/// A linear memory: the host's buffer, of which the first `size` bytes are in use.
#[derive(Debug)]
pub struct Memory<'a> {
    pub(crate) bytes: &'a mut [u8],
    /// Current size in bytes (a whole number of pages).
    pub(crate) size: usize,
    /// Largest size in pages the type allows (bounded further by the buffer).
    pub(crate) max_pages: u64,
    /// The maximum the type declares, for import matching.
    pub(crate) declared_max: Option<u64>,
    pub(crate) page_log2: u32,
}

impl Memory<'_> {
    /// Current size in pages.
    pub fn pages(&self) -> u64 {
        (self.size as u64) >> self.page_log2
    }

    /// The bytes in use.
    pub fn data(&self) -> &[u8] {
        self.bytes.get(..self.size).unwrap_or_default()
    }

    /// The bytes in use, writable (host functions use this to exchange data).
    pub fn data_mut(&mut self) -> &mut [u8] {
        // `size` never exceeds the buffer (`new_memory`, `grow`).
        let size = self.size.min(self.bytes.len());
        self.bytes.get_mut(..size).unwrap_or_default()
    }

    /// Grows by `delta` pages; returns the old size in pages, or `None` (wasm's -1) when the
    /// type's maximum or the host buffer would be exceeded. New pages are zeroed.
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        let new_size = usize::try_from(new << self.page_log2).ok()?;
        self.bytes.get_mut(self.size..new_size)?.fill(0);
        self.size = new_size;
        Some(old)
    }
}

/// Where an instance's entities live in the store. `Copy`, so the interpreter keeps one
/// in registers while it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InstanceInfo {
    /// Arena index of the import map: one slot per imported function (a packed
    /// [`FuncRef`] of a defined function, or `HOST_BIT | id`).
    pub func_imports: u32,
    /// Arena index of the global addresses, one slot per global.
    pub globals: u32,
    /// Arena index of the table addresses, one slot per table.
    pub tables: u32,
    /// Arena index of the dropped-segment flags (element segments, then data segments).
    pub dropped: u32,
    /// The slot whose memory this instance uses, or `NONE`.
    pub mem_slot: u32,
}

/// Instances one store holds at most (65,536), whatever the slots given: a call frame
/// keeps its caller's slot in 16 bits (see [`FRAME_SLOTS`](super::stack::FRAME_SLOTS)).
/// One more is an [`ImplementationLimit`](crate::ErrorKind::ImplementationLimit) error.
pub const MAX_INSTANCES: usize = 1 << 16;

/// Room for one instance (or one host-defined memory) in a [`Store`]. Declare as many as
/// the firmware will instantiate: `[InstanceSlot::EMPTY; 2]`.
#[derive(Debug)]
pub struct InstanceSlot<'a, 'wasm> {
    pub(crate) module: Option<&'a Module<'wasm, 'a>>,
    pub(crate) memory: Option<Memory<'a>>,
    pub(crate) info: InstanceInfo,
}

impl InstanceSlot<'_, '_> {
    /// An unused slot.
    pub const EMPTY: Self = InstanceSlot {
        module: None,
        memory: None,
        info: InstanceInfo {
            func_imports: 0,
            globals: 0,
            tables: 0,
            dropped: 0,
            mem_slot: NONE,
        },
    };
}

/// An instance in a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Instance(pub(crate) u32);

impl Instance {
    /// The slot it occupies.
    pub fn slot(self) -> u32 {
        self.0
    }
}

/// Something an import can be satisfied with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Extern<'t> {
    /// A function of an instance in the store.
    Func(FuncRef),
    /// A host function: calls to it return to the embedder with this id.
    HostFunc(u32, FuncType<'t>),
    /// A table (its arena address).
    Table(u32),
    /// A memory (the slot that owns it).
    Memory(u32),
    /// A global (its arena address).
    Global(u32),
}

/// Instances, their memories, globals and tables, in host-provided storage.
#[derive(Debug)]
pub struct Store<'a, 'wasm> {
    pub(crate) slots: &'a mut [InstanceSlot<'a, 'wasm>],
    pub(crate) arena: &'a mut [u64],
    used: usize,
    n_slots: usize,
    arena_bytes: usize,
    table_reserve: u32,
    /// Unique among the program's stores (0: none could be given), so a paused
    /// [`Stack`](super::stack::Stack) is only resumed by the store that ran it.
    pub(crate) id: u32,
}

/// A new store's id: 1, 2, ... from a global counter, or 0 once the counter is used up
/// (after 2^32 - 2 stores) or on a target without atomic read-modify-write. A store with
/// id 0 can resume a paused stack only where the interpreter's reads are bounds-checked
/// (see [`super::unchecked`]).
fn next_store_id() -> u32 {
    #[cfg(target_has_atomic = "32")]
    {
        use core::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let mut n = NEXT.load(Ordering::Relaxed);
        while n != u32::MAX {
            match NEXT.compare_exchange_weak(n, n + 1, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return n,
                Err(seen) => n = seen,
            }
        }
        0
    }
    #[cfg(not(target_has_atomic = "32"))]
    {
        0
    }
}

impl<'a, 'wasm> Store<'a, 'wasm> {
    /// A store over `slots` (instance capacity) and `arena` (globals, tables, maps).
    pub fn new(slots: &'a mut [InstanceSlot<'a, 'wasm>], arena: &'a mut [u8]) -> Self {
        let arena_bytes = arena.len();
        let (words, _) = align_u64(arena);
        Store {
            slots,
            arena: words,
            used: 0,
            n_slots: 0,
            arena_bytes,
            table_reserve: 0,
            id: next_store_id(),
        }
    }

    /// Extra elements reserved for `table.grow` in tables whose type allows growth
    /// (default 0: a table gets exactly its minimum, or its maximum when declared).
    pub fn set_table_reserve(&mut self, elements: u32) {
        self.table_reserve = elements;
    }

    /// Arena bytes instantiating `module` takes with `table_reserve` extra elements per
    /// growable table: exactly what [`Store::instantiate`] allocates, so the memory plan
    /// and the store cannot disagree.
    pub fn instance_arena_bytes(module: &Module<'_, '_>, table_reserve: u32) -> usize {
        let c = module.counts();
        let mut words = c.imported_funcs as usize
            + c.globals as usize
            + c.tables as usize
            + (c.elems as usize + c.datas as usize).div_ceil(64)
            + 2 * (c.globals - c.imported_globals) as usize;
        for t in c.imported_tables..c.tables {
            if let Some(ty) = module.table_type(t) {
                words += 4 + table_capacity(ty, table_reserve) as usize;
            }
        }
        words * 8
    }

    /// Arena bytes in use so far.
    pub fn arena_used(&self) -> usize {
        self.used * 8
    }

    fn alloc(&mut self, n: usize) -> Result<u32> {
        let end = self
            .used
            .checked_add(n)
            .filter(|&e| e <= self.arena.len() && e < NONE as usize);
        match end.and_then(|end| Some((end, self.arena.get_mut(self.used..end)?))) {
            Some((end, words)) => {
                words.fill(0);
                let at = self.used;
                self.used = end;
                Ok(at as u32)
            }
            None => Err(Error::buffer(
                BufferKind::State,
                (self.used + n) * 8,
                self.arena_bytes,
            )),
        }
    }

    fn take_slot(&mut self) -> Result<u32> {
        if self.n_slots >= self.slots.len().min(MAX_INSTANCES) {
            return Err(Error::new(ErrorKind::ImplementationLimit, 0));
        }
        self.n_slots += 1;
        Ok(self.n_slots as u32 - 1)
    }

    /// Defines a host global (e.g. for the spec tests' `spectest` module).
    pub fn define_global(&mut self, ty: GlobalType, value: Value) -> Result<Extern<'static>> {
        let at = self.alloc(2)?;
        *words_mut(self.arena, at as usize, ARENA)? = [ty.pack() as u64, value.to_bits()];
        Ok(Extern::Global(at + 1))
    }

    /// Defines a host table of `ty`, with room to grow to `capacity` elements.
    pub fn define_table(&mut self, ty: TableType, capacity: u32) -> Result<Extern<'static>> {
        self.alloc_table(ty, capacity as u64).map(Extern::Table)
    }

    /// Defines a host memory of `ty` in `buffer` (occupies a slot).
    pub fn define_memory(&mut self, ty: MemType, buffer: &'a mut [u8]) -> Result<Extern<'static>> {
        let slot = self.take_slot()?;
        let mem = new_memory(ty, buffer)?;
        *self.slots.get_mut(slot as usize).ok_or(ARENA)? = InstanceSlot {
            module: None,
            memory: Some(mem),
            info: InstanceSlot::EMPTY.info,
        };
        Ok(Extern::Memory(slot))
    }

    fn alloc_table(&mut self, ty: TableType, capacity: u64) -> Result<u32> {
        let cap = capacity.max(ty.limits.min);
        let cap =
            usize::try_from(cap).map_err(|_| Error::new(ErrorKind::ImplementationLimit, 0))?;
        let at = self.alloc(4usize.saturating_add(cap))?;
        *words_mut(self.arena, at as usize, ARENA)? = [
            ty.limits.min,
            ty.limits.max.unwrap_or(NO_MAX),
            cap as u64,
            ty.elem as u64,
        ];
        Ok(at)
    }

    /// The module of an instance.
    pub fn module(&self, inst: Instance) -> Option<&'a Module<'wasm, 'a>> {
        self.slots.get(inst.0 as usize)?.module
    }

    /// The memory an instance uses, if any.
    pub fn memory(&mut self, inst: Instance) -> Option<&mut Memory<'a>> {
        let m = self.slots.get(inst.0 as usize)?.info.mem_slot;
        self.memory_of_slot(m)
    }

    pub(crate) fn memory_of_slot(&mut self, slot: u32) -> Option<&mut Memory<'a>> {
        self.slots.get_mut(slot as usize)?.memory.as_mut()
    }

    /// Looks up an export of an instance by name.
    pub fn export(&self, inst: Instance, name: &str) -> Option<Extern<'static>> {
        let slot = self.slots.get(inst.0 as usize)?;
        let module = slot.module?;
        let (kind, idx) = module.export(name)?;
        let info = slot.info;
        Some(match kind {
            ExternKind::Func => Extern::Func(FuncRef {
                slot: inst.0,
                func: idx,
            }),
            ExternKind::Table => {
                Extern::Table(*self.arena.get(info.tables as usize + idx as usize)? as u32)
            }
            ExternKind::Memory => Extern::Memory(info.mem_slot),
            ExternKind::Global => {
                Extern::Global(*self.arena.get(info.globals as usize + idx as usize)? as u32)
            }
        })
    }

    /// Reads a global.
    pub fn global_value(&self, addr: u32) -> Option<Value> {
        let ty = GlobalType::unpack(*self.arena.get((addr as usize).checked_sub(1)?)? as u32);
        Some(Value::from_bits(ty.ty, *self.arena.get(addr as usize)?))
    }

    /// The type of the function `f` refers to.
    pub fn func_type(&self, f: FuncRef) -> Option<FuncType<'wasm>> {
        let module = self.slots.get(f.slot as usize)?.module?;
        if f.func >= module.counts().funcs {
            return None;
        }
        Some(module.func_sig(f.func))
    }

    /// Instantiates `module` (spec 4.5.4), resolving each import with `resolve(module_name,
    /// name, kind)`. `memory` backs the module's own memory, if it defines one: it must
    /// hold at least the declared minimum, and growth stops at its end.
    ///
    /// The start function is not run here: call [`Store::start`] next, so that it runs
    /// under the same resumable machinery as every other call.
    pub fn instantiate<'t>(
        &mut self,
        module: &'a Module<'wasm, 'a>,
        memory: Option<&'a mut [u8]>,
        resolve: &mut dyn FnMut(&str, &str, ExternKind) -> Option<Extern<'t>>,
    ) -> Result<Instance> {
        let c = *module.counts();
        let save_used = self.used;
        let slot = self.take_slot()?;
        let result = self.instantiate_in(slot, module, memory, resolve, &c);
        let built = self
            .slots
            .get(slot as usize)
            .is_some_and(|s| s.module.is_some());
        if result.is_err() && !built {
            // Nothing observable refers to the half-built instance: give its space back.
            self.used = save_used;
            self.n_slots -= 1;
        }
        result.map(|()| Instance(slot))
    }

    fn instantiate_in<'t>(
        &mut self,
        slot: u32,
        module: &'a Module<'wasm, 'a>,
        memory: Option<&'a mut [u8]>,
        resolve: &mut dyn FnMut(&str, &str, ExternKind) -> Option<Extern<'t>>,
        c: &crate::module::Counts,
    ) -> Result<()> {
        let mut info = InstanceInfo {
            func_imports: self.alloc(c.imported_funcs as usize)?,
            globals: self.alloc(c.globals as usize)?,
            tables: self.alloc(c.tables as usize)?,
            dropped: self.alloc((c.elems as usize + c.datas as usize).div_ceil(64))?,
            mem_slot: NONE,
        };

        // Imports, checked against what the resolver provides (spec 4.5.4 steps 3-4).
        let mut r = module.section_reader(SectionId::Import);
        let n = if r.is_empty() { 0 } else { r.u32()? };
        let (mut fi, mut gi, mut ti) = (0usize, 0usize, 0usize);
        for _ in 0..n {
            let at = r.pos();
            let mod_name = r.name()?;
            let name = r.name()?;
            let kind = ExternKind::read(&mut r)?;
            let unknown = Error::new(ErrorKind::UnknownImport, at);
            let incompatible = Error::new(ErrorKind::IncompatibleImport, at);
            let ext = resolve(mod_name, name, kind).ok_or(unknown)?;
            match kind {
                ExternKind::Func => {
                    let ty = module.func_type(r.u32()?);
                    let target = match ext {
                        Extern::HostFunc(id, hty) if hty == ty => HOST_BIT | id as u64,
                        Extern::Func(f) if self.func_type(f) == Some(ty) => self.resolve_func(f),
                        _ => return Err(incompatible),
                    };
                    *word_mut(self.arena, info.func_imports as usize + fi)? = target;
                    fi += 1;
                }
                ExternKind::Table => {
                    let want = TableType::read(&mut r)?;
                    let Extern::Table(addr) = ext else {
                        return Err(incompatible);
                    };
                    // The host's address is checked, not trusted.
                    let [size, max, _, elem] =
                        *words_mut::<4>(self.arena, addr as usize, incompatible)?;
                    let max_ok = limits_match((max != NO_MAX).then_some(max), want.limits.max);
                    if elem != want.elem as u64 || size < want.limits.min || !max_ok {
                        return Err(incompatible);
                    }
                    *word_mut(self.arena, info.tables as usize + ti)? = addr as u64;
                    ti += 1;
                }
                ExternKind::Memory => {
                    let want = MemType::read(&mut r)?;
                    let Extern::Memory(ms) = ext else {
                        return Err(incompatible);
                    };
                    let m = self.memory_of_slot(ms).ok_or(incompatible)?;
                    let max_ok = limits_match(m.declared_max, want.limits.max);
                    if m.page_log2 != want.page_size_log2 || m.pages() < want.limits.min || !max_ok
                    {
                        return Err(incompatible);
                    }
                    info.mem_slot = ms;
                }
                ExternKind::Global => {
                    let want = GlobalType::read(&mut r)?;
                    let Extern::Global(addr) = ext else {
                        return Err(incompatible);
                    };
                    let ty_at = (addr as usize).checked_sub(1).ok_or(incompatible)?;
                    let have = self.arena.get(ty_at).ok_or(incompatible)?;
                    let have = GlobalType::unpack(*have as u32);
                    if have != want {
                        return Err(incompatible);
                    }
                    *word_mut(self.arena, info.globals as usize + gi)? = addr as u64;
                    gi += 1;
                }
            }
        }

        // Globals, in order: each initialiser may read the ones before it.
        for g in c.imported_globals..c.globals {
            let ty = module.global_type(g).unwrap_or(GlobalType {
                ty: ValType::I32,
                mutable: false,
            });
            let value = const_value(
                self.arena,
                module,
                &info,
                slot,
                module.global_init(g) as usize,
            )?;
            let cell = self.alloc(2)?;
            *words_mut(self.arena, cell as usize, ARENA)? = [ty.pack() as u64, value];
            *word_mut(self.arena, info.globals as usize + g as usize)? = cell as u64 + 1;
        }

        // Tables get their minimum plus the growth reserve, up to the declared maximum
        // (rustc declares min = max, so its tables take exactly their size).
        for t in c.imported_tables..c.tables {
            let ty = module
                .table_type(t)
                .ok_or(Error::new(ErrorKind::UnknownTable, 0))?;
            let max = ty.limits.max.unwrap_or(u32::MAX as u64);
            let cap = (ty.limits.min + self.table_reserve as u64).min(max);
            let addr = self.alloc_table(ty, cap)?;
            *word_mut(self.arena, info.tables as usize + t as usize)? = addr as u64;
        }

        // The module's own memory.
        if c.memories > c.imported_memories {
            let ty = module
                .memory_type(0)
                .ok_or(Error::new(ErrorKind::UnknownMemory, 0))?;
            let buffer = memory.unwrap_or(&mut []);
            let memory = Some(new_memory(ty, buffer)?);
            self.slots.get_mut(slot as usize).ok_or(ARENA)?.memory = memory;
            info.mem_slot = slot;
        }

        // The instance now exists: from here on, segment traps leave it in place (2.0
        // semantics: earlier segments' writes to shared tables and memories stay).
        let s = self.slots.get_mut(slot as usize).ok_or(ARENA)?;
        s.module = Some(module);
        s.info = info;

        // Element segments (spec 4.5.4 step 14), then data segments (step 15).
        let mut r = module.section_reader(SectionId::Element);
        let n = if r.is_empty() { 0 } else { r.u32()? };
        for e in 0..n {
            let seg = ElemSegment::read(&mut r)?;
            if let Some((table, offset_at)) = seg.active {
                let offset = const_value(self.arena, module, &info, slot, offset_at)? as u32;
                let addr = *word_mut(self.arena, info.tables as usize + table as usize)? as u32;
                table_init(
                    self.arena, module, &info, slot, &seg, addr, offset, 0, seg.count,
                )?;
            }
            if seg.active.is_some() || seg.declarative {
                set_dropped(self.arena, &info, e as usize);
            }
        }
        let mut r = module.section_reader(SectionId::Data);
        let n = if r.is_empty() { 0 } else { r.u32()? };
        for d in 0..n {
            let at = r.pos();
            let flags = r.u32()?;
            let offset = if flags != 1 {
                if flags == 2 {
                    r.u32()?;
                }
                let off = const_value(self.arena, module, &info, slot, r.pos())? as u32;
                skip_expr(&mut r)?;
                Some(off)
            } else {
                None
            };
            let len = r.count()?;
            let data = r.bytes(len)?;
            if let Some(off) = offset {
                let mem = self
                    .memory_of_slot(info.mem_slot)
                    .ok_or(Error::new(ErrorKind::MemoryOutOfBounds, at))?;
                let end = (off as usize).checked_add(len).filter(|&e| e <= mem.size);
                let end = end.ok_or(Error::new(ErrorKind::MemoryOutOfBounds, at))?;
                let dst = mem.bytes.get_mut(off as usize..end);
                dst.ok_or(Error::new(ErrorKind::MemoryOutOfBounds, at))?
                    .copy_from_slice(data);
                set_dropped(self.arena, &info, c.elems as usize + d as usize);
            }
        }
        Ok(())
    }

    /// Follows `f` through import maps to a defined function or a host function.
    pub(crate) fn resolve_func(&self, f: FuncRef) -> u64 {
        let Some(slot) = self.slots.get(f.slot as usize) else {
            return 0;
        };
        let Some(module) = slot.module else {
            return 0;
        };
        if f.func >= module.counts().imported_funcs {
            return f.to_bits();
        }
        // Import maps always hold final targets, so one step suffices.
        let i = slot.info.func_imports as usize + f.func as usize;
        self.arena.get(i).copied().unwrap_or(0)
    }

    /// The start function of `inst`, if it has one: call it next (spec 4.5.4 step 16).
    pub fn start(&mut self, inst: Instance) -> Option<FuncRef> {
        let module = self.module(inst)?;
        module.start().map(|func| FuncRef { slot: inst.0, func })
    }
}

/// Elements a defined table gets room for: its minimum plus the reserve, up to its maximum.
fn table_capacity(ty: TableType, reserve: u32) -> u64 {
    let max = ty.limits.max.unwrap_or(u32::MAX as u64);
    (ty.limits.min + reserve as u64).min(max).max(ty.limits.min)
}

fn new_memory(ty: MemType, buffer: &mut [u8]) -> Result<Memory<'_>> {
    let min_bytes = ty.limits.min.saturating_mul(ty.page_size());
    if min_bytes > buffer.len() as u64 {
        let needed = usize::try_from(min_bytes).unwrap_or(usize::MAX);
        return Err(Error::buffer(BufferKind::Memory, needed, buffer.len()));
    }
    let size = min_bytes as usize;
    // Memory starts zeroed (spec 4.5.3.4), whatever the buffer held before.
    buffer[..size].fill(0);
    Ok(Memory {
        bytes: buffer,
        size,
        max_pages: ty.limits.max.unwrap_or(u64::MAX).min(ty.max_pages()),
        declared_max: ty.limits.max,
        page_log2: ty.page_size_log2,
    })
}

fn skip_expr(r: &mut Reader<'_>) -> Result<()> {
    loop {
        if let ConstInstr::End = ConstInstr::read(r)? {
            return Ok(());
        }
    }
}

/// An element segment as the store needs it (spec 5.5.12); validated already.
pub(crate) struct ElemSegment<'wasm> {
    /// Table index and offset-expression position, for active segments.
    pub active: Option<(u32, usize)>,
    pub declarative: bool,
    /// Items are constant expressions rather than function indices.
    pub exprs: bool,
    pub count: u32,
    /// Positioned at the first item.
    pub items: Reader<'wasm>,
}

impl<'wasm> ElemSegment<'wasm> {
    /// Reads a segment, leaving `r` after its last item.
    pub fn read(r: &mut Reader<'wasm>) -> Result<Self> {
        let flags = r.u32()?;
        let mut active = None;
        if flags & 1 == 0 {
            let table = if flags & 2 != 0 { r.u32()? } else { 0 };
            active = Some((table, r.pos()));
            skip_expr(r)?;
        }
        if flags & 3 != 0 {
            r.u8()?; // element kind or reference type
        }
        let count = r.u32()?;
        let seg = ElemSegment {
            active,
            declarative: flags & 3 == 3,
            exprs: flags & 4 != 0,
            count,
            items: r.clone(),
        };
        for _ in 0..count {
            seg.skip_item(r)?;
        }
        Ok(seg)
    }

    fn skip_item(&self, r: &mut Reader<'wasm>) -> Result<()> {
        if self.exprs {
            skip_expr(r)
        } else {
            r.u32().map(|_| ())
        }
    }
}

/// Evaluates the constant expression at `at` (validated: one value-producing instruction
/// then `end`).
pub(crate) fn const_value(
    arena: &[u64],
    module: &Module<'_, '_>,
    info: &InstanceInfo,
    slot: u32,
    at: usize,
) -> Result<u64> {
    let mut r = Reader::at(module.bytes(), at, module.bytes().len());
    Ok(match ConstInstr::read(&mut r)? {
        ConstInstr::I32Const(value) => value as u32 as u64,
        ConstInstr::I64Const(value) => value as u64,
        ConstInstr::F32Const(bits) => bits as u64,
        ConstInstr::F64Const(bits) => bits,
        ConstInstr::RefNull(_) => 0,
        ConstInstr::RefFunc(func) => FuncRef { slot, func }.to_bits(),
        ConstInstr::GlobalGet(global) => arena
            .get(info.globals as usize + global as usize)
            .and_then(|&cell| arena.get(cell as usize))
            .copied()
            .ok_or(Error::new(ErrorKind::UnknownGlobal, at))?,
        _ => return Err(Error::new(ErrorKind::ConstExprRequired, at)),
    })
}

/// `table.init` semantics (spec 4.4.6): copies items `src..src + count` of `seg` into the
/// table at `addr` from `dst`, trapping if either range is out of bounds. Used for active
/// segments at instantiation and by the instruction.
#[allow(clippy::too_many_arguments)]
pub(crate) fn table_init(
    arena: &mut [u64],
    module: &Module<'_, '_>,
    info: &InstanceInfo,
    slot: u32,
    seg: &ElemSegment<'_>,
    addr: u32,
    dst: u32,
    src: u32,
    count: u32,
) -> Result<()> {
    let h = addr as usize;
    let oob = Error::new(ErrorKind::TableOutOfBounds, 0);
    let size = *arena.get(h).ok_or(oob)?;
    if dst as u64 + count as u64 > size || src as u64 + count as u64 > seg.count as u64 {
        return Err(oob);
    }
    let mut items = seg.items.clone();
    for _ in 0..src {
        seg.skip_item(&mut items)?;
    }
    for i in 0..count as usize {
        let v = if seg.exprs {
            let v = const_value(arena, module, info, slot, items.pos())?;
            skip_expr(&mut items)?;
            v
        } else {
            FuncRef {
                slot,
                func: items.u32()?,
            }
            .to_bits()
        };
        *arena.get_mut(h + 4 + dst as usize + i).ok_or(oob)? = v;
    }
    Ok(())
}

/// Whether segment `seg` (element segments first, then data) has been dropped.
pub(crate) fn is_dropped(arena: &[u64], info: &InstanceInfo, seg: usize) -> bool {
    // A segment past the bitmap (none is) counts as dropped: empty, the safe answer.
    arena
        .get(info.dropped as usize + seg / 64)
        .is_none_or(|w| w & (1 << (seg % 64)) != 0)
}

/// Marks segment `seg` dropped.
pub(crate) fn set_dropped(arena: &mut [u64], info: &InstanceInfo, seg: usize) {
    if let Some(w) = arena.get_mut(info.dropped as usize + seg / 64) {
        *w |= 1 << (seg % 64);
    }
}

/// The error for an arena word that is not there. Addresses come from `alloc`, so none is
/// missed; they are checked all the same, as an error rather than a panic.
const ARENA: Error = Error::internal(0);

/// Arena word `i`, checked ([`ARENA`]).
fn word_mut(arena: &mut [u64], i: usize) -> Result<&mut u64> {
    arena.get_mut(i).ok_or(ARENA)
}

/// Arena words `i..i + N`, or `err`.
fn words_mut<const N: usize>(arena: &mut [u64], i: usize, err: Error) -> Result<&mut [u64; N]> {
    arena
        .get_mut(i..i.wrapping_add(N))
        .and_then(|w| w.try_into().ok())
        .ok_or(err)
}

#[cfg(test)]
mod tests {
    use super::{next_store_id, InstanceSlot, Store};

    /// Stores never share an id (the interpreter's unchecked reads rely on it to keep a
    /// paused stack with the store that paused it), and 0 is never handed out while the
    /// counter lasts.
    #[test]
    #[cfg(target_has_atomic = "32")]
    fn store_ids_are_unique_and_never_zero() {
        let mut seen = std::vec::Vec::new();
        for _ in 0..64 {
            let id = next_store_id();
            assert_ne!(id, 0);
            assert!(!seen.contains(&id), "id {id} handed out twice");
            seen.push(id);
        }
        let (mut a, mut b) = ([InstanceSlot::EMPTY], [InstanceSlot::EMPTY]);
        let (mut arena_a, mut arena_b) = ([0u8; 64], [0u8; 64]);
        let first = Store::new(&mut a, &mut arena_a);
        let second = Store::new(&mut b, &mut arena_b);
        assert_ne!(first.id, second.id);
    }
}
