//! The program's virtual address space: regions, virtual addresses and
//! checked access.
//!
//! A virtual address is 64 bits: the **high 32 bits are the region id**, the
//! low 32 bits the offset inside the region. Finding the region of an address
//! is an array index (O(1), and on a 32-bit MCU it is just the high word); the
//! bounds check is `offset <= len && len - offset >= size`, which cannot
//! overflow. Region 0 is never mapped, so address 0 (a null pointer) always
//! faults. No host address is ever visible to a program.
//!
//! | region id | constant            | contents                                  | access |
//! |-----------|---------------------|-------------------------------------------|--------|
//! | 0         | [`REGION_NULL`]     | nothing                                   | –      |
//! | 1         | [`REGION_STACK`]    | the stack (all call frames)               | RW     |
//! | 2         | [`REGION_CONTEXT`]  | the per-run context (r1)                  | RO or RW, per run |
//! | 3         | [`REGION_DATA`]     | the container's data + bss (its own copy) | RW     |
//! | 4         | [`REGION_RODATA`]   | the image's read-only data                | RO     |
//! | 5..8      | [`REGION_EXTRA_FIRST`].. | extra regions granted for one run    | RO or RW |

use crate::error::{Access, Error};

/// Number of region slots (ids 0..MAX_REGIONS).
pub const MAX_REGIONS: usize = 8;
/// Region 0: never mapped; null pointers fault.
pub const REGION_NULL: u32 = 0;
/// Region 1: the stack. r10 points at its end (minus one frame per nested call).
pub const REGION_STACK: u32 = 1;
/// Region 2: the per-run context. r1 holds its base address, r2 its length.
pub const REGION_CONTEXT: u32 = 2;
/// Region 3: the container's read-write data (`.data` followed by `.bss`).
pub const REGION_DATA: u32 = 3;
/// Region 4: the container's read-only data (`.rodata`).
pub const REGION_RODATA: u32 = 4;
/// First id for extra regions (see [`Memory::map_extra`]).
pub const REGION_EXTRA_FIRST: u32 = 5;

/// Virtual base address of a region.
#[inline(always)]
pub const fn region_base(region: u32) -> u64 {
    (region as u64) << 32
}

/// Virtual address of `offset` inside `region`.
#[inline(always)]
pub const fn vaddr(region: u32, offset: u32) -> u64 {
    region_base(region) | offset as u64
}

/// One region of the virtual address space.
#[derive(Debug, Default)]
pub enum Region<'a> {
    /// Not mapped: every access faults.
    #[default]
    Unmapped,
    /// Readable, not writable.
    ReadOnly(&'a [u8]),
    /// Readable and writable.
    ReadWrite(&'a mut [u8]),
}

impl Region<'_> {
    /// The region's length in bytes (0 if unmapped).
    pub fn len(&self) -> usize {
        match self {
            Region::Unmapped => 0,
            Region::ReadOnly(s) => s.len(),
            Region::ReadWrite(s) => s.len(),
        }
    }

    /// True if the region is unmapped or has length 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How a region is stored: without an "unmapped" state, so that the load
/// path needs no tag check (an unmapped region is an empty read-only slice,
/// in which every access is out of bounds).
#[derive(Debug)]
enum Slot<'a> {
    // Rw first: discriminant 0, so the store paths' tag test is one
    // compare-with-zero.
    Rw(&'a mut [u8]),
    Ro(&'a [u8]),
}

impl<'a> Slot<'a> {
    const EMPTY: Slot<'a> = Slot::Ro(&[]);

    /// The region's bytes, readable whatever its access.
    fn bytes(&self) -> &[u8] {
        match self {
            Slot::Ro(s) => s,
            Slot::Rw(s) => s,
        }
    }
}

/// The virtual address space of one run: up to [`MAX_REGIONS`] regions, each
/// borrowing a caller-owned buffer. Nothing is allocated.
///
/// A read-write stack is kept outside the region table, in `stack`, so that
/// the interpreter's stack fast path (loads and stores through r10) reaches
/// it with no tag test; its table entry is then empty. The interpreter's
/// general load and store paths look the table up first and fall back to
/// `stack` only when that fails (a cold path), so that accesses to other
/// regions cost nothing more; the helpers' API ([`Memory::slice`] and the
/// rest) checks for the stack first.
#[derive(Debug)]
pub struct Memory<'a> {
    regions: [Slot<'a>; MAX_REGIONS],
    /// The stack when it is mapped read-write (else empty, and a read-only
    /// stack is in `regions` like any other region).
    stack: &'a mut [u8],
    /// The stack is mapped read-write (it is `stack`).
    stack_rw: bool,
    /// Bit `id` set: region `id` is mapped.
    mapped: u8,
}

impl Default for Memory<'_> {
    #[inline(always)]
    fn default() -> Self {
        // Written out (not `[Slot::EMPTY; MAX_REGIONS]`, which LLVM builds
        // in a temporary and then copies with a `memcpy`). The capsule's
        // per-run path uses `Memory::for_container` instead.
        let e = || Slot::EMPTY;
        Memory { regions: [e(), e(), e(), e(), e(), e(), e(), e()], stack: &mut [], stack_rw: false, mapped: 0 }
    }
}

impl<'a> From<Region<'a>> for Slot<'a> {
    fn from(r: Region<'a>) -> Self {
        match r {
            Region::Unmapped => Slot::EMPTY,
            Region::ReadOnly(s) => Slot::Ro(s),
            Region::ReadWrite(s) => Slot::Rw(s),
        }
    }
}

#[inline(always)]
fn split(addr: u64) -> (usize, usize) {
    ((addr >> 32) as usize, addr as u32 as usize)
}

/// The fault for a write to a read-only region: a permission error if the
/// range is inside the region, else out of bounds.
#[cold]
#[inline(never)]
fn write_fault(region: &[u8], off: usize, addr: u64, len: usize, access: Access) -> Error {
    let in_bounds = region.get(off..).and_then(|r| r.get(..len)).is_some();
    fault(addr, len, access, in_bounds)
}

/// [`Memory::cell_mut`]'s cold path: the region is empty, unmapped, invalid
/// (`None`), or the read-write stack (see `Memory`).
#[cold]
#[inline(never)]
fn stack_cell_slow<const N: usize>(stack: &mut [u8], stack_rw: bool, id: usize, off: usize) -> Option<&mut [u8; N]> {
    if id == REGION_STACK as usize && stack_rw {
        stack.get_mut(off..)?.first_chunk_mut::<N>()
    } else {
        None
    }
}

#[cold]
fn fault(addr: u64, len: usize, access: Access, mapped_ro: bool) -> Error {
    let len = len as u32;
    if mapped_ro {
        Error::PermissionDenied { pc: 0, addr, len, access }
    } else {
        Error::OutOfBounds { pc: 0, addr, len, access }
    }
}

impl<'a> Memory<'a> {
    /// An address space with no region mapped.
    #[inline(always)]
    pub fn new() -> Self {
        Self::default()
    }

    /// Maps `region` at id `id` (replacing what was there) and returns its
    /// virtual base address. Id 0 and ids ≥ [`MAX_REGIONS`] are refused.
    pub fn map(&mut self, id: u32, region: Region<'a>) -> Result<u64, Error> {
        if id == REGION_NULL {
            return Err(Error::RegionUnavailable { region: id });
        }
        let slot =
            self.regions.get_mut(id as usize).ok_or(Error::RegionUnavailable { region: id })?;
        if id == REGION_STACK {
            // A read-write stack lives outside the table (see `Memory`).
            self.stack = &mut [];
            self.stack_rw = false;
            if let Region::ReadWrite(s) = region {
                return Ok(self.map_stack(s));
            }
        }
        let bit = 1u8 << id;
        if matches!(region, Region::Unmapped) {
            self.mapped &= !bit;
        } else {
            self.mapped |= bit;
        }
        *slot = region.into();
        Ok(region_base(id))
    }

    /// Unmaps region `id` (no effect for an invalid id).
    pub fn unmap(&mut self, id: u32) {
        let _ = self.map(id, Region::Unmapped);
    }

    fn set(&mut self, id: u32, slot: Slot<'a>) -> u64 {
        self.regions[id as usize] = slot;
        self.mapped |= 1 << id;
        region_base(id)
    }

    /// Maps the stack (region 1, read-write). Its length decides how many
    /// call frames fit (see [`crate::interpreter`]).
    pub fn map_stack(&mut self, stack: &'a mut [u8]) -> u64 {
        self.regions[REGION_STACK as usize] = Slot::EMPTY;
        self.stack = stack;
        self.stack_rw = true;
        self.mapped |= 1 << REGION_STACK;
        region_base(REGION_STACK)
    }

    /// Maps a read-only context (region 2).
    pub fn map_context_ro(&mut self, ctx: &'a [u8]) -> u64 {
        self.set(REGION_CONTEXT, Slot::Ro(ctx))
    }

    /// Maps a read-write context (region 2).
    pub fn map_context_rw(&mut self, ctx: &'a mut [u8]) -> u64 {
        self.set(REGION_CONTEXT, Slot::Rw(ctx))
    }

    /// Maps the container's read-write data (region 3), see
    /// [`crate::image::Image::init_data`].
    pub fn map_data(&mut self, data: &'a mut [u8]) -> u64 {
        self.set(REGION_DATA, Slot::Rw(data))
    }

    /// Maps the container's read-only data (region 4).
    pub fn map_rodata(&mut self, rodata: &'a [u8]) -> u64 {
        self.set(REGION_RODATA, Slot::Ro(rodata))
    }

    /// The address space of a container run, built in one step: the stack
    /// (region 1, read-write), the context (region 2, as given), the
    /// container's data (region 3, read-write) and read-only data (region
    /// 4); the extra ids stay free. The same as [`Memory::new`] followed by
    /// [`Memory::map_stack`], [`Memory::map_context_ro`] or
    /// [`Memory::map_context_rw`], [`Memory::map_data`] and
    /// [`Memory::map_rodata`], but every field is written once, in place: a
    /// kernel builds one per hook run, and the step-by-step form made LLVM
    /// build the region table in a temporary and copy it.
    #[inline(always)]
    pub fn for_container(
        stack: &'a mut [u8],
        context: Region<'a>,
        data: &'a mut [u8],
        rodata: &'a [u8],
    ) -> Self {
        let e = || Slot::EMPTY;
        let ctx_bit = if matches!(context, Region::Unmapped) { 0 } else { 1 << REGION_CONTEXT };
        Memory {
            regions: [e(), e(), context.into(), Slot::Rw(data), Slot::Ro(rodata), e(), e(), e()],
            stack,
            stack_rw: true,
            mapped: (1 << REGION_STACK) | ctx_bit | (1 << REGION_DATA) | (1 << REGION_RODATA),
        }
    }

    /// Maps an extra region in the first free id ≥ [`REGION_EXTRA_FIRST`] and
    /// returns its base address; `RegionUnavailable` if all are used.
    pub fn map_extra(&mut self, region: Region<'a>) -> Result<u64, Error> {
        for id in REGION_EXTRA_FIRST..MAX_REGIONS as u32 {
            if !self.is_mapped(id) {
                return self.map(id, region);
            }
        }
        Err(Error::RegionUnavailable { region: MAX_REGIONS as u32 })
    }

    /// True if region `id` is mapped.
    pub fn is_mapped(&self, id: u32) -> bool {
        id < MAX_REGIONS as u32 && self.mapped & (1 << id) != 0
    }

    /// True if region `id` is mapped read-write.
    pub fn is_writable(&self, id: u32) -> bool {
        self.rw_stack(id as usize).is_some()
            || matches!(self.regions.get(id as usize), Some(Slot::Rw(_)))
    }

    /// Length in bytes of region `id` (0 if unmapped or invalid).
    pub fn region_len(&self, id: u32) -> usize {
        self.bytes(id as usize).map_or(0, <[u8]>::len)
    }

    /// The read-write stack, if `id` is the stack's id and the stack is
    /// mapped read-write.
    #[inline(always)]
    fn rw_stack(&self, id: usize) -> Option<&[u8]> {
        (id == REGION_STACK as usize && self.stack_rw).then_some(&*self.stack)
    }

    /// The bytes of region `id`, readable (`None` if invalid; an unmapped
    /// region is empty).
    #[inline]
    fn bytes(&self, id: usize) -> Option<&[u8]> {
        if let Some(s) = self.rw_stack(id) {
            return Some(s);
        }
        self.regions.get(id).map(Slot::bytes)
    }

    /// A read-only view of `len` bytes at virtual address `addr`, checked
    /// (region, bounds, read permission).
    #[inline]
    pub fn slice(&self, addr: u64, len: usize) -> Result<&[u8], Error> {
        self.slice_for(addr, len, Access::Load)
    }

    /// [`Memory::slice`] for an access of kind `access` (the compact
    /// interpreter's load path).
    #[inline(always)]
    pub(crate) fn slice_for(&self, addr: u64, len: usize, access: Access) -> Result<&[u8], Error> {
        let (id, off) = split(addr);
        let Some(bytes) = self.bytes(id) else {
            return Err(fault(addr, len, access, false));
        };
        match bytes.get(off..).and_then(|rest| rest.get(..len)) {
            Some(s) => Ok(s),
            None => Err(fault(addr, len, access, false)),
        }
    }

    /// A writable view of `len` bytes at virtual address `addr`, checked
    /// (region, bounds, write permission).
    #[inline]
    pub fn slice_mut(&mut self, addr: u64, len: usize) -> Result<&mut [u8], Error> {
        self.slice_mut_for(addr, len, Access::Store)
    }

    /// [`Memory::slice_mut`] for an access of kind `access` (the compact
    /// interpreter's store and atomic path).
    #[inline(always)]
    pub(crate) fn slice_mut_for(&mut self, addr: u64, len: usize, access: Access) -> Result<&mut [u8], Error> {
        let (id, off) = split(addr);
        let bytes: &mut [u8] = match self.regions.get_mut(id) {
            _ if id == REGION_STACK as usize && self.stack_rw => self.stack,
            Some(Slot::Rw(s)) => s,
            Some(Slot::Ro(s)) => {
                let in_bounds = s.get(off..).and_then(|rest| rest.get(..len)).is_some();
                return Err(fault(addr, len, access, in_bounds));
            }
            None => return Err(fault(addr, len, access, false)),
        };
        match bytes.get_mut(off..).and_then(|rest| rest.get_mut(..len)) {
            Some(s) => Ok(s),
            None => Err(fault(addr, len, access, false)),
        }
    }

    /// Loads `N` bytes at `addr` (the interpreter's load path).
    #[inline(always)]
    pub fn load<const N: usize>(&self, addr: u64) -> Result<[u8; N], Error> {
        let (id, off) = split(addr);
        let bytes: &[u8] = match self.regions.get(id) {
            Some(Slot::Ro(s)) => s,
            Some(Slot::Rw(s)) => s,
            None => return Err(fault(addr, N, Access::Load, false)),
        };
        match bytes.get(off..).and_then(|rest| rest.first_chunk::<N>()) {
            Some(v) => Ok(*v),
            None => match self.load_stack(id, off) {
                Some(v) => Ok(v),
                None => Err(fault(addr, N, Access::Load, false)),
            },
        }
    }

    /// [`Memory::load`]'s cold path: the table lookup failed, which is
    /// either a fault (`None`) or an access to the read-write stack (see
    /// `Memory`).
    #[cold]
    #[inline(never)]
    fn load_stack<const N: usize>(&self, id: usize, off: usize) -> Option<[u8; N]> {
        self.rw_stack(id)?.get(off..)?.first_chunk::<N>().copied()
    }

    /// [`Memory::load`], not inlined: the stack fast path's fallback (a
    /// load through r10 outside the read-write stack).
    #[inline(never)]
    pub(crate) fn load_cold<const N: usize>(&self, addr: u64) -> Result<[u8; N], Error> {
        self.load(addr)
    }

    /// `N` bytes at byte `i` of the stack region, if they are inside it (the
    /// interpreter's fast path for loads through r10).
    #[inline(always)]
    pub(crate) fn stack_chunk<const N: usize>(&self, i: usize) -> Option<&[u8; N]> {
        self.stack.get(i..)?.first_chunk::<N>()
    }

    /// A mutable `N`-byte cell at byte `i` of the stack region, if it is inside
    /// it and the region is writable (the fast path for stores through r10).
    #[inline(always)]
    pub(crate) fn stack_cell<const N: usize>(&mut self, i: usize) -> Option<&mut [u8; N]> {
        self.stack.get_mut(i..)?.first_chunk_mut::<N>()
    }

    /// Stores `N` bytes at `addr` (the interpreter's store path).
    #[inline(always)]
    pub fn store<const N: usize>(&mut self, addr: u64, value: [u8; N]) -> Result<(), Error> {
        let cell = self.cell_mut::<N>(addr, Access::Store)?;
        *cell = value;
        Ok(())
    }

    /// A mutable `N`-byte cell at `addr` (stores and atomic read-modify-writes).
    #[inline(always)]
    pub(crate) fn cell_mut<const N: usize>(
        &mut self,
        addr: u64,
        access: Access,
    ) -> Result<&mut [u8; N], Error> {
        let (id, off) = split(addr);
        let Memory { regions, stack, stack_rw, .. } = self;
        match regions.get_mut(id) {
            Some(Slot::Rw(s)) => match s.get_mut(off..).and_then(|r| r.first_chunk_mut::<N>()) {
                Some(cell) => Ok(cell),
                None => Err(fault(addr, N, access, false)),
            },
            Some(Slot::Ro(s)) if !s.is_empty() => Err(write_fault(s, off, addr, N, access)),
            _ => match stack_cell_slow(stack, *stack_rw, id, off) {
                Some(cell) => Ok(cell),
                None => Err(fault(addr, N, access, false)),
            },
        }
    }

    /// Copies `buf.len()` bytes from VM memory at `addr` into `buf`.
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), Error> {
        buf.copy_from_slice(self.slice(addr, buf.len())?);
        Ok(())
    }

    /// Copies `data` into VM memory at `addr` (needs write permission).
    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), Error> {
        self.slice_mut(addr, data.len())?.copy_from_slice(data);
        Ok(())
    }

    /// Reads a NUL-terminated string at `addr` of at most `max` bytes
    /// (without the NUL). Faults if no NUL is found within `max` bytes or
    /// before the end of the region.
    pub fn read_cstr(&self, addr: u64, max: usize) -> Result<&[u8], Error> {
        let (id, off) = split(addr);
        let Some(bytes) = self.bytes(id) else {
            return Err(fault(addr, 1, Access::Load, false));
        };
        let rest = bytes.get(off..).ok_or_else(|| fault(addr, 1, Access::Load, false))?;
        let window = &rest[..rest.len().min(max.saturating_add(1))];
        match window.iter().position(|&b| b == 0) {
            Some(n) => Ok(&window[..n]),
            None => Err(fault(addr, window.len().saturating_add(1), Access::Load, false)),
        }
    }

    /// Copies `len` bytes inside VM memory from `src` to `dst` (the ranges may
    /// overlap or lie in different regions). Both ranges are checked first.
    pub fn copy_within(&mut self, dst: u64, src: u64, len: usize) -> Result<(), Error> {
        self.slice(src, len)?;
        self.slice_mut(dst, len)?;
        // Both ranges are checked: the slicing below is in bounds.
        let (sid, soff) = split(src);
        let (did, doff) = split(dst);
        let stack_id = REGION_STACK as usize;
        let Memory { regions, stack, stack_rw, .. } = self;
        let rw_stack = *stack_rw;
        if sid == did {
            let bytes: &mut [u8] = match regions.get_mut(sid) {
                _ if sid == stack_id && rw_stack => stack,
                Some(Slot::Rw(s)) => s,
                _ => return Ok(()),
            };
            bytes.copy_within(soff..soff + len, doff);
            return Ok(());
        }
        let (src_bytes, dst_bytes): (&[u8], &mut [u8]) = if rw_stack && did == stack_id {
            (regions[sid].bytes(), stack)
        } else if rw_stack && sid == stack_id {
            match &mut regions[did] {
                Slot::Rw(d) => (stack, d),
                Slot::Ro(_) => return Ok(()),
            }
        } else {
            // Different table regions: split the array to borrow both at once.
            let (lo, hi) = if sid < did { (sid, did) } else { (did, sid) };
            let (a, b) = regions.split_at_mut(hi);
            let (rlo, rhi) = (&mut a[lo], &mut b[0]);
            let (src_r, dst_r) = if sid < did { (rlo, rhi) } else { (rhi, rlo) };
            match dst_r {
                Slot::Rw(d) => (src_r.bytes(), d),
                Slot::Ro(_) => return Ok(()),
            }
        };
        dst_bytes[doff..doff + len].copy_from_slice(&src_bytes[soff..soff + len]);
        Ok(())
    }
}
