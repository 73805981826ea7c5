//! A small, strict reader for the relocatable ELF64 little-endian objects that
//! `clang -target bpf -c` produces.
//!
//! Only what `femto pack` and `femto disasm` need is parsed: the file header,
//! section headers and their names, the symbol table and `SHT_REL`
//! relocation sections. Every offset and length read from the file is checked
//! (with overflow-safe arithmetic) before it is used, so no input makes the
//! reader panic; a malformed file gets an [`ElfError`] that says what is wrong.

use std::fmt;

/// `e_machine` value of eBPF.
pub const EM_BPF: u16 = 247;
/// Relocatable object file (`e_type`).
pub const ET_REL: u16 = 1;

/// Section type: unused header.
pub const SHT_NULL: u32 = 0;
/// Section type: program data.
pub const SHT_PROGBITS: u32 = 1;
/// Section type: symbol table.
pub const SHT_SYMTAB: u32 = 2;
/// Section type: string table.
pub const SHT_STRTAB: u32 = 3;
/// Section type: relocations with explicit addends.
pub const SHT_RELA: u32 = 4;
/// Section type: zero-filled data that takes no room in the file (`.bss`).
pub const SHT_NOBITS: u32 = 8;
/// Section type: relocations with implicit addends.
pub const SHT_REL: u32 = 9;

/// Section flag: writable at run time.
pub const SHF_WRITE: u64 = 0x1;
/// Section flag: occupies memory at run time.
pub const SHF_ALLOC: u64 = 0x2;
/// Section flag: contains instructions.
pub const SHF_EXECINSTR: u64 = 0x4;

/// Symbol type: unspecified.
pub const STT_NOTYPE: u8 = 0;
/// Symbol type: data object.
pub const STT_OBJECT: u8 = 1;
/// Symbol type: function.
pub const STT_FUNC: u8 = 2;
/// Symbol type: section.
pub const STT_SECTION: u8 = 3;
/// Symbol binding: local.
pub const STB_LOCAL: u8 = 0;
/// Symbol binding: global.
pub const STB_GLOBAL: u8 = 1;
/// Symbol binding: weak.
pub const STB_WEAK: u8 = 2;
/// Undefined section index.
pub const SHN_UNDEF: u16 = 0;
/// Absolute symbol section index.
pub const SHN_ABS: u16 = 0xfff1;
/// Common symbol section index.
pub const SHN_COMMON: u16 = 0xfff2;

/// eBPF relocation: none.
pub const R_BPF_NONE: u32 = 0;
/// eBPF relocation: 64-bit address in the two slots of an `lddw`.
pub const R_BPF_64_64: u32 = 1;
/// eBPF relocation: 64-bit absolute address in data.
pub const R_BPF_64_ABS64: u32 = 2;
/// eBPF relocation: 32-bit absolute address in data.
pub const R_BPF_64_ABS32: u32 = 3;
/// eBPF relocation: 32-bit value, no dynamic-loader processing (debug info).
pub const R_BPF_64_NODYLD32: u32 = 4;
/// eBPF relocation: pc-relative target of a `call` (BPF-to-BPF call).
pub const R_BPF_64_32: u32 = 10;

/// The name of an eBPF relocation type, for messages.
pub fn reloc_type_name(r_type: u32) -> String {
    match r_type {
        R_BPF_NONE => "R_BPF_NONE".into(),
        R_BPF_64_64 => "R_BPF_64_64".into(),
        R_BPF_64_ABS64 => "R_BPF_64_ABS64".into(),
        R_BPF_64_ABS32 => "R_BPF_64_ABS32".into(),
        R_BPF_64_NODYLD32 => "R_BPF_64_NODYLD32".into(),
        R_BPF_64_32 => "R_BPF_64_32".into(),
        other => format!("relocation type {other}"),
    }
}

/// What is wrong with an ELF file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElfError {
    /// The file does not start with `\x7fELF`.
    NotElf,
    /// Not a 64-bit object.
    Not64Bit,
    /// Not little-endian.
    NotLittleEndian,
    /// `e_machine` is not eBPF (247); carries the value found.
    NotBpf(u16),
    /// Not a relocatable object (`e_type` != `ET_REL`); carries the value found.
    NotRelocatable(u16),
    /// A structure or range lies (partly) outside the file.
    Truncated {
        /// What was being read.
        what: String,
        /// Its offset in the file.
        offset: u64,
        /// Its length.
        len: u64,
    },
    /// A field has a value that makes no sense.
    Malformed(String),
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElfError::NotElf => write!(f, "not an ELF file (bad magic)"),
            ElfError::Not64Bit => write!(f, "not a 64-bit ELF file (eBPF objects are ELF64)"),
            ElfError::NotLittleEndian => write!(f, "not a little-endian ELF file (use -target bpf or bpfel)"),
            ElfError::NotBpf(m) => write!(f, "not an eBPF object (e_machine = {m}, expected {EM_BPF})"),
            ElfError::NotRelocatable(t) => {
                write!(f, "not a relocatable object (e_type = {t}, expected {ET_REL}); pass the .o from `femto build` or `clang -c`")
            }
            ElfError::Truncated { what, offset, len } => {
                write!(f, "truncated ELF file: {what} at offset {offset:#x}, length {len:#x} lies outside the file")
            }
            ElfError::Malformed(m) => write!(f, "malformed ELF file: {m}"),
        }
    }
}

impl std::error::Error for ElfError {}

/// One section header, with its name resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Index in the section header table.
    pub index: usize,
    /// Name from the section-name string table.
    pub name: String,
    /// `sh_type`.
    pub sh_type: u32,
    /// `sh_flags`.
    pub flags: u64,
    /// File offset of the contents.
    pub offset: u64,
    /// Size of the contents (for `SHT_NOBITS`, the run-time size).
    pub size: u64,
    /// `sh_link`.
    pub link: u32,
    /// `sh_info`.
    pub info: u32,
    /// Required alignment (0 or 1: none).
    pub align: u64,
    /// `sh_entsize`.
    pub entsize: u64,
}

impl Section {
    /// Whether the section occupies memory at run time.
    pub fn is_alloc(&self) -> bool {
        self.flags & SHF_ALLOC != 0
    }
    /// Whether the section holds instructions.
    pub fn is_exec(&self) -> bool {
        self.flags & SHF_EXECINSTR != 0
    }
    /// Whether the section is writable.
    pub fn is_write(&self) -> bool {
        self.flags & SHF_WRITE != 0
    }
}

/// One symbol-table entry, with its name resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    /// Name (empty for section symbols; see [`Elf::symbol_display_name`]).
    pub name: String,
    /// `STT_*` type.
    pub sym_type: u8,
    /// `STB_*` binding.
    pub bind: u8,
    /// Section index (`st_shndx`).
    pub shndx: u16,
    /// `st_value`: offset inside its section for a relocatable object.
    pub value: u64,
    /// `st_size`.
    pub size: u64,
}

/// One `SHT_REL` relocation entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reloc {
    /// Offset inside the section the relocations apply to.
    pub offset: u64,
    /// Index in the symbol table.
    pub sym: u32,
    /// `R_BPF_*` type.
    pub r_type: u32,
}

/// A parsed relocatable eBPF ELF object. Borrows the file's bytes.
#[derive(Debug)]
pub struct Elf<'a> {
    data: &'a [u8],
    /// All section headers, in order (index 0 is the null section).
    pub sections: Vec<Section>,
    /// The symbol table (index 0 is the null symbol); empty if there is none.
    pub symbols: Vec<Symbol>,
}

fn rd_u16(d: &[u8], off: usize) -> Option<u16> {
    let b = d.get(off..off.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}
fn rd_u32(d: &[u8], off: usize) -> Option<u32> {
    let b = d.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}
fn rd_u64(d: &[u8], off: usize) -> Option<u64> {
    let b = d.get(off..off.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}

/// Reads a NUL-terminated string at `off` inside `table`.
fn cstr(table: &[u8], off: usize, what: &str) -> Result<String, ElfError> {
    let rest = table
        .get(off..)
        .ok_or_else(|| ElfError::Malformed(format!("{what} name offset {off:#x} outside its string table")))?;
    let end = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| ElfError::Malformed(format!("{what} name at offset {off:#x} is not NUL-terminated")))?;
    Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
}

impl<'a> Elf<'a> {
    /// Parses `data` as a relocatable little-endian ELF64 eBPF object.
    pub fn parse(data: &'a [u8]) -> Result<Elf<'a>, ElfError> {
        if data.len() < 4 || &data[..4] != b"\x7fELF" {
            return Err(ElfError::NotElf);
        }
        if data.len() < 64 {
            return Err(ElfError::Truncated { what: "ELF header".into(), offset: 0, len: 64 });
        }
        if data[4] != 2 {
            return Err(ElfError::Not64Bit);
        }
        if data[5] != 1 {
            return Err(ElfError::NotLittleEndian);
        }
        // Header fields: all inside the first 64 bytes, checked above.
        let e_type = rd_u16(data, 16).unwrap_or(0);
        let e_machine = rd_u16(data, 18).unwrap_or(0);
        if e_machine != EM_BPF {
            return Err(ElfError::NotBpf(e_machine));
        }
        if e_type != ET_REL {
            return Err(ElfError::NotRelocatable(e_type));
        }
        let shoff = rd_u64(data, 40).unwrap_or(0);
        let shentsize = rd_u16(data, 58).unwrap_or(0) as u64;
        let mut shnum = rd_u16(data, 60).unwrap_or(0) as u64;
        let mut shstrndx = rd_u16(data, 62).unwrap_or(0) as u64;

        if shoff == 0 {
            return Ok(Elf { data, sections: Vec::new(), symbols: Vec::new() });
        }
        if shentsize != 64 {
            return Err(ElfError::Malformed(format!("section header size {shentsize}, expected 64")));
        }
        // Extended numbering: counts live in section header 0.
        if shnum == 0 || shstrndx == 0xffff {
            let h0 = Self::range(data, shoff, 64, "section header 0")?;
            if shnum == 0 {
                shnum = rd_u64(h0, 32).unwrap_or(0);
            }
            if shstrndx == 0xffff {
                shstrndx = rd_u32(h0, 40).unwrap_or(0) as u64;
            }
        }
        let table_len = shnum
            .checked_mul(64)
            .ok_or_else(|| ElfError::Malformed(format!("section count {shnum} too large")))?;
        let table = Self::range(data, shoff, table_len, "section header table")?;

        let mut sections = Vec::with_capacity(shnum as usize);
        for i in 0..shnum as usize {
            let h = &table[i * 64..i * 64 + 64];
            sections.push(Section {
                index: i,
                name: String::new(),
                sh_type: rd_u32(h, 4).unwrap_or(0),
                flags: rd_u64(h, 8).unwrap_or(0),
                offset: rd_u64(h, 24).unwrap_or(0),
                size: rd_u64(h, 32).unwrap_or(0),
                link: rd_u32(h, 40).unwrap_or(0),
                info: rd_u32(h, 44).unwrap_or(0),
                align: rd_u64(h, 48).unwrap_or(0),
                entsize: rd_u64(h, 56).unwrap_or(0),
            });
        }
        let name_offs: Vec<u32> = (0..shnum as usize).map(|i| rd_u32(table, i * 64).unwrap_or(0)).collect();
        // Every section with contents in the file must lie inside it.
        for s in &sections {
            if s.sh_type != SHT_NOBITS && s.sh_type != SHT_NULL {
                Self::range(data, s.offset, s.size, &format!("contents of section {}", s.index))?;
            }
        }
        if shstrndx != 0 {
            let strtab = sections.get(shstrndx as usize).ok_or_else(|| {
                ElfError::Malformed(format!("section-name string table index {shstrndx} out of range"))
            })?;
            if strtab.sh_type != SHT_STRTAB {
                return Err(ElfError::Malformed(format!(
                    "section-name string table (section {shstrndx}) is not a string table"
                )));
            }
            let strdata = Self::range(data, strtab.offset, strtab.size, "section-name string table")?;
            for (s, off) in sections.iter_mut().zip(name_offs) {
                s.name = cstr(strdata, off as usize, "section")?;
            }
        }

        let mut elf = Elf { data, sections, symbols: Vec::new() };
        let symtabs: Vec<usize> =
            elf.sections.iter().filter(|s| s.sh_type == SHT_SYMTAB).map(|s| s.index).collect();
        if symtabs.len() > 1 {
            return Err(ElfError::Malformed("more than one symbol table".into()));
        }
        if let Some(&st) = symtabs.first() {
            elf.symbols = elf.parse_symbols(st)?;
        }
        Ok(elf)
    }

    fn range(data: &'a [u8], offset: u64, len: u64, what: &str) -> Result<&'a [u8], ElfError> {
        let trunc = || ElfError::Truncated { what: what.to_string(), offset, len };
        let start = usize::try_from(offset).map_err(|_| trunc())?;
        let l = usize::try_from(len).map_err(|_| trunc())?;
        let end = start.checked_add(l).ok_or_else(trunc)?;
        data.get(start..end).ok_or_else(trunc)
    }

    fn parse_symbols(&self, st: usize) -> Result<Vec<Symbol>, ElfError> {
        let sec = &self.sections[st];
        if sec.entsize != 24 {
            return Err(ElfError::Malformed(format!("symbol entry size {}, expected 24", sec.entsize)));
        }
        if sec.size % 24 != 0 {
            return Err(ElfError::Malformed(format!("symbol table size {} is not a multiple of 24", sec.size)));
        }
        let bytes = self.section_data(sec)?;
        let strsec = self.sections.get(sec.link as usize).ok_or_else(|| {
            ElfError::Malformed(format!("symbol string table index {} out of range", sec.link))
        })?;
        if strsec.sh_type != SHT_STRTAB {
            return Err(ElfError::Malformed(format!("symbol string table (section {}) is not a string table", sec.link)));
        }
        let strs = self.section_data(strsec)?;
        let mut out = Vec::with_capacity(bytes.len() / 24);
        for e in bytes.chunks_exact(24) {
            let name_off = rd_u32(e, 0).unwrap_or(0) as usize;
            let info = e[4];
            out.push(Symbol {
                name: cstr(strs, name_off, "symbol")?,
                sym_type: info & 0xf,
                bind: info >> 4,
                shndx: rd_u16(e, 6).unwrap_or(0),
                value: rd_u64(e, 8).unwrap_or(0),
                size: rd_u64(e, 16).unwrap_or(0),
            });
        }
        Ok(out)
    }

    /// The contents of a section (empty for `SHT_NOBITS`).
    pub fn section_data(&self, s: &Section) -> Result<&'a [u8], ElfError> {
        if s.sh_type == SHT_NOBITS || s.sh_type == SHT_NULL {
            return Ok(&[]);
        }
        Self::range(self.data, s.offset, s.size, &format!("contents of section {}", s.name))
    }

    /// The section with this name, if any.
    pub fn section_by_name(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The relocations of a `SHT_REL` section.
    pub fn relocations(&self, s: &Section) -> Result<Vec<Reloc>, ElfError> {
        if s.sh_type != SHT_REL {
            return Err(ElfError::Malformed(format!("section {} is not a relocation section", s.name)));
        }
        if s.size % 16 != 0 {
            return Err(ElfError::Malformed(format!(
                "relocation section {} size {} is not a multiple of 16",
                s.name, s.size
            )));
        }
        let bytes = self.section_data(s)?;
        Ok(bytes
            .chunks_exact(16)
            .map(|e| {
                let info = rd_u64(e, 8).unwrap_or(0);
                Reloc { offset: rd_u64(e, 0).unwrap_or(0), sym: (info >> 32) as u32, r_type: info as u32 }
            })
            .collect())
    }

    /// A symbol's name for messages: its own name, or for a section symbol
    /// the name of its section.
    pub fn symbol_display_name(&self, sym: &Symbol) -> String {
        if sym.sym_type == STT_SECTION || sym.name.is_empty() {
            if let Some(s) = self.sections.get(sym.shndx as usize) {
                return s.name.clone();
            }
        }
        sym.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_elf() {
        assert_eq!(Elf::parse(b"").unwrap_err(), ElfError::NotElf);
        assert_eq!(Elf::parse(b"hello world").unwrap_err(), ElfError::NotElf);
    }

    #[test]
    fn rejects_short_header() {
        assert!(matches!(Elf::parse(b"\x7fELF\x02\x01").unwrap_err(), ElfError::Truncated { .. }));
    }

    fn header(class: u8, data: u8, e_type: u16, machine: u16) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = class;
        h[5] = data;
        h[6] = 1;
        h[16..18].copy_from_slice(&e_type.to_le_bytes());
        h[18..20].copy_from_slice(&machine.to_le_bytes());
        h
    }

    #[test]
    fn header_checks() {
        assert_eq!(Elf::parse(&header(1, 1, 1, 247)).unwrap_err(), ElfError::Not64Bit);
        assert_eq!(Elf::parse(&header(2, 2, 1, 247)).unwrap_err(), ElfError::NotLittleEndian);
        assert_eq!(Elf::parse(&header(2, 1, 1, 62)).unwrap_err(), ElfError::NotBpf(62));
        assert_eq!(Elf::parse(&header(2, 1, 2, 247)).unwrap_err(), ElfError::NotRelocatable(2));
        let h = header(2, 1, 1, 247);
        let e = Elf::parse(&h).unwrap();
        assert!(e.sections.is_empty());
    }

    #[test]
    fn section_table_outside_file() {
        let mut h = header(2, 1, 1, 247);
        h[40..48].copy_from_slice(&0x1000u64.to_le_bytes());
        h[58..60].copy_from_slice(&64u16.to_le_bytes());
        h[60..62].copy_from_slice(&3u16.to_le_bytes());
        assert!(matches!(Elf::parse(&h).unwrap_err(), ElfError::Truncated { .. }));
        // Huge offset that would overflow when adding the length.
        h[40..48].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(Elf::parse(&h).unwrap_err(), ElfError::Truncated { .. }));
    }
}
