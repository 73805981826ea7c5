//! The `femto` subcommands other than `build` and `run`: each takes paths and
//! options, does its work, and returns the text to print or an error message.

use crate::link::{self, Linked};
use crate::pack::{self, PackOptions};
use femto_vm::image::Format;
use femto_vm::Image;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Reads a file, with a message naming it on failure.
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Writes a file, with a message naming it on failure.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The file name without directory and extension (the default container name).
pub fn file_stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Parses an image file's bytes, with a message naming the file on failure.
pub fn parse_image<'a>(path: &Path, bytes: &'a [u8]) -> Result<Image<'a>, String> {
    Image::parse(bytes).map_err(|e| format!("{}: not a valid image: {e}", path.display()))
}

/// Checks that an encoded image parses and verifies (the device's checks).
fn check_image(bytes: &[u8]) -> Result<(), String> {
    let image = Image::parse(bytes).map_err(|e| format!("the packed image does not parse: {e}"))?;
    image.verify().map_err(|e| format!("the packed program is rejected by the verifier: {e}"))?;
    Ok(())
}

/// `femto pack`: links `obj`, writes the image to `out`, returns a summary.
pub fn pack(obj: &Path, out: &Path, opts: &PackOptions, verify: bool) -> Result<String, String> {
    let bytes = read(obj)?;
    let linked = link::link(&bytes).map_err(|e| format!("{}: {e}", obj.display()))?;
    let image = pack::pack_linked(&linked, opts).map_err(|e| format!("{}: {e}", obj.display()))?;
    if verify {
        check_image(&image).map_err(|e| format!("{}: {e} (use --no-verify to write it anyway)", obj.display()))?;
    }
    write(out, &image)?;
    Ok(pack_summary(out, &linked, image.len()))
}

fn pack_summary(out: &Path, l: &Linked, size: usize) -> String {
    let fns: Vec<String> = l.functions.iter().map(|f| format!("{}@{}", f.name, f.pc)).collect();
    let helpers: Vec<String> = l.helpers.iter().map(|h| format!("{h:#x}")).collect();
    format!(
        "wrote {} ({size} bytes): text {} insns, rodata {} B, data {} B, bss {} B; functions: {}; helpers: {}",
        out.display(),
        l.text.len() / 8,
        l.rodata.len(),
        l.data.len(),
        l.bss_size,
        fns.join(", "),
        if helpers.is_empty() { "none".to_string() } else { helpers.join(", ") }
    )
}

/// Where `part` starts inside `whole`, if it is a sub-slice of it (an empty
/// section the parser did not take from the image has no offset).
fn offset_in(whole: &[u8], part: &[u8]) -> Option<usize> {
    let off = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (off <= whole.len() && off + part.len() <= whole.len()).then_some(off)
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// `femto inspect`: a description of an image, as text or JSON.
pub fn inspect(path: &Path, json: bool) -> Result<String, String> {
    let bytes = read(path)?;
    let image = parse_image(path, &bytes)?;
    Ok(describe(&image, json))
}

/// Describes a parsed image (the body of `femto inspect`).
pub fn describe(image: &Image<'_>, json: bool) -> String {
    let whole = image.bytes();
    let format = match image.format() {
        Format::Native => "femto-container",
        Format::Rbf => "RIOT rBPF",
    };
    let sections: [(&str, &[u8], u32); 4] = [
        ("text", image.text(), 0),
        ("rodata", image.rodata(), 0),
        ("data", image.data(), 0),
        ("signature", image.signature(), 0),
    ];
    let functions: Vec<(String, u32)> =
        image.functions().map(|f| (String::from_utf8_lossy(f.name).into_owned(), f.pc)).collect();
    let helpers: Option<Vec<u32>> = match image.format() {
        Format::Rbf => None,
        Format::Native => Some(allow_list(image)),
    };
    let name = String::from_utf8_lossy(image.name()).into_owned();
    let strict = image.flags() & femto_vm::image::FLAG_STRICT != 0;
    if json {
        let mut o = String::from("{\n");
        let _ = writeln!(o, "  \"format\": {},", json_str(format));
        let _ = writeln!(o, "  \"size\": {},", whole.len());
        let _ = writeln!(o, "  \"name\": {},", json_str(&name));
        let _ = writeln!(o, "  \"app_version\": {},", image.app_version());
        let _ = writeln!(o, "  \"flags\": {},", image.flags());
        let _ = writeln!(o, "  \"strict\": {strict},");
        let _ = writeln!(o, "  \"stack_size\": {},", image.stack_size());
        o.push_str("  \"sections\": {\n");
        for (n, s, _) in &sections {
            let off = offset_in(whole, s).map_or("null".to_string(), |x| x.to_string());
            let _ = writeln!(o, "    \"{n}\": {{ \"offset\": {off}, \"size\": {} }},", s.len());
        }
        let _ = writeln!(o, "    \"bss\": {{ \"size\": {} }}", image.bss_len());
        o.push_str("  },\n");
        let _ = writeln!(o, "  \"instructions\": {},", image.text().len() / 8);
        o.push_str("  \"functions\": [");
        let fs: Vec<String> =
            functions.iter().map(|(n, pc)| format!("{{ \"name\": {}, \"pc\": {pc} }}", json_str(n))).collect();
        o.push_str(&fs.join(", "));
        o.push_str("],\n");
        match &helpers {
            None => o.push_str("  \"helpers\": \"all\"\n"),
            Some(h) => {
                let hs: Vec<String> = h.iter().map(|x| x.to_string()).collect();
                let _ = writeln!(o, "  \"helpers\": [{}]", hs.join(", "));
            }
        }
        o.push_str("}\n");
        return o;
    }
    let mut o = String::new();
    let _ = writeln!(o, "format:      {format}");
    let _ = writeln!(o, "size:        {} bytes", whole.len());
    let _ = writeln!(o, "name:        {}", if name.is_empty() { "(none)" } else { &name });
    let _ = writeln!(o, "version:     {}", image.app_version());
    let _ = writeln!(o, "flags:       {:#06x}{}", image.flags(), if strict { " (strict)" } else { "" });
    let _ = writeln!(o, "stack:       {} bytes per frame", image.stack_size());
    let _ = writeln!(o, "sections:");
    for (n, s, _) in &sections {
        let off = offset_in(whole, s).map_or("-".to_string(), |x| x.to_string());
        let _ = writeln!(o, "  {n:<10} offset {off:>6}  size {:>6}", s.len());
    }
    let _ = writeln!(o, "  {:<10} {:>13}  size {:>6}", "bss", "", image.bss_len());
    let _ = writeln!(o, "instructions: {}", image.text().len() / 8);
    let _ = writeln!(o, "functions ({}):", functions.len());
    for (n, pc) in &functions {
        let _ = writeln!(o, "  {n:<24} pc {pc}");
    }
    match &helpers {
        None => {
            let _ = writeln!(o, "helpers:     all (rBPF images carry no allow-list)");
        }
        Some(h) if h.is_empty() => {
            let _ = writeln!(o, "helpers:     none");
        }
        Some(h) => {
            let _ = writeln!(o, "helpers ({}):", h.len());
            for x in h {
                let _ = writeln!(o, "  {x:#06x} {}", femto_helpers::nr::name(*x).unwrap_or("(not a device helper)"));
            }
        }
    }
    o
}

/// The helper numbers of a native image's allow-list.
pub fn allow_list(image: &Image<'_>) -> Vec<u32> {
    match image.helpers() {
        femto_vm::AllowList::LeBytes(b) => {
            b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
        }
        femto_vm::AllowList::Ids(l) => l.to_vec(),
        femto_vm::AllowList::All => Vec::new(),
    }
}

/// `femto verify`.
pub fn verify(path: &Path) -> Result<String, String> {
    let bytes = read(path)?;
    let image = parse_image(path, &bytes)?;
    match image.verify() {
        Ok(p) => Ok(format!(
            "{}: accepted ({} instructions, {} functions)",
            path.display(),
            p.len(),
            image.function_count()
        )),
        // The error's text names the pc when there is one ("pc 3: ...").
        Err(e) => Err(format!("{}: rejected by the verifier: {e}", path.display())),
    }
}

/// `femto asm`: assembles `src` (`-` = stdin) into an image (or raw bytes).
pub fn asm(src: &Path, out: &Path, entry_name: &str, raw: bool, verify: bool, opts: &PackOptions) -> Result<String, String> {
    let text = if src == Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map_err(|e| format!("cannot read stdin: {e}"))?;
        s
    } else {
        String::from_utf8(read(src)?).map_err(|_| format!("{}: not UTF-8 text", src.display()))?
    };
    let code = crate::asm::assemble_to_bytes(&text).map_err(|e| format!("{}: {e}", src.display()))?;
    if code.is_empty() {
        return Err(format!("{}: no instructions", src.display()));
    }
    if raw {
        write(out, &code)?;
        return Ok(format!("wrote {} ({} instructions, raw)", out.display(), code.len() / 8));
    }
    let helpers = pack::helpers_called(&code);
    let sections = pack::Resolved { text: code, rodata: Vec::new(), data: Vec::new(), bss_len: 0 };
    let image = pack::encode(&sections, &[(entry_name.to_string(), 0)], &helpers, opts)?;
    if verify {
        check_image(&image).map_err(|e| format!("{}: {e} (use --no-verify to write it anyway)", src.display()))?;
    }
    write(out, &image)?;
    Ok(format!("wrote {} ({} bytes, {} instructions)", out.display(), image.len(), sections.text.len() / 8))
}

/// `femto disasm`: an image or an ELF object.
pub fn disasm(path: &Path, source_only: bool) -> Result<String, String> {
    let bytes = read(path)?;
    if bytes.starts_with(b"\x7fELF") {
        return crate::objdump::object(path, &bytes, source_only);
    }
    let image = parse_image(path, &bytes)?;
    crate::objdump::image(path, &image, source_only)
}

/// `femto conformance`: runs each path, prints failures, skips (or all, if
/// `verbose`) and the summary line. Returns whether nothing failed.
pub fn conformance(paths: &[PathBuf], verbose: bool) -> bool {
    use crate::conformance::{run_dir, run_file, FileResult, Kind, Outcome, Summary};
    let mut s = Summary::default();
    for p in paths {
        if p.is_dir() {
            s.extend(run_dir(p));
        } else if p.exists() {
            let in_negative = p.parent().and_then(|d| d.file_name()).is_some_and(|n| n == "negative");
            let kind = if in_negative { Kind::Negative } else { Kind::Positive };
            s.results.push(run_file(p, kind));
        } else {
            s.results.push(FileResult {
                path: p.clone(),
                kind: Kind::Positive,
                outcome: Outcome::Fail("no such file or directory".into()),
            });
        }
    }
    for r in &s.results {
        if verbose || !matches!(r.outcome, Outcome::Pass(_)) {
            println!("{r}");
        }
    }
    println!("{}", s.line());
    s.failed() == 0
}

/// `femto plugin`: program hex on stdin, memory hex in `memory`; returns r0.
/// With `elf`, standard input is an ELF object in hex; it is linked and its
/// code run from its first function.
pub fn plugin(memory: Option<&str>, elf: bool) -> Result<u64, String> {
    let mut input = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut input).map_err(|e| format!("cannot read stdin: {e}"))?;
    let mut program = crate::conformance::parse_hex(&input).map_err(|e| format!("program: {e}"))?;
    if elf {
        program = plugin_elf_text(&program)?;
    }
    let mem = match memory {
        Some(m) => Some(crate::conformance::parse_hex(m).map_err(|e| format!("memory: {e}"))?),
        None => None,
    };
    crate::conformance::plugin(&program, mem.as_deref()).map_err(|e| e.to_string())
}

/// The code of a linked ELF object, starting at its first function (for
/// `femto plugin --elf`). Objects with data are refused: the plugin protocol
/// has nowhere to put them.
fn plugin_elf_text(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let l = link::link(bytes).map_err(|e| format!("ELF input: {e}"))?;
    if !l.rodata.is_empty() || !l.data.is_empty() || l.bss_size != 0 {
        return Err("ELF input: objects with data sections are not supported by the plugin".into());
    }
    let first = l.functions.first().map_or(0, |f| f.pc);
    if first != 0 {
        return Err(format!("ELF input: the first function starts at pc {first}, not 0"));
    }
    Ok(l.text)
}

/// `femto import-rbf`: converts a RIOT rBPF image.
#[cfg(feature = "rbf")]
pub fn import_rbf(input: &Path, out: &Path, name: &str, app_version: Option<u32>) -> Result<String, String> {
    let bytes = read(input)?;
    let image = parse_image(input, &bytes)?;
    if image.format() != Format::Rbf {
        return Err(format!("{}: not a RIOT rBPF image (it is already a femto-container image)", input.display()));
    }
    // Check the original first, with RIOT's pseudo-opcodes allowed.
    image.verify().map_err(|e| format!("{}: rejected by the verifier: {e}", input.display()))?;
    let mut text = image.text().to_vec();
    let lowered = femto_vm::rbf::lower_pseudo_lddw(&mut text)
        .map_err(|e| format!("{}: cannot rewrite LDDWD/LDDWR: {e}", input.display()))?;
    let helpers = pack::helpers_called(&text);
    let functions: Vec<(String, usize)> =
        image.functions().map(|f| (String::from_utf8_lossy(f.name).into_owned(), f.pc as usize)).collect();
    let sections = pack::Resolved {
        text,
        rodata: image.rodata().to_vec(),
        data: image.data().to_vec(),
        bss_len: image.bss_len(),
    };
    let opts = PackOptions {
        name: name.to_string(),
        app_version: app_version.unwrap_or(image.app_version()),
        stack_size: image.stack_size(),
        strict: false,
        signature_len: 0,
    };
    let encoded = pack::encode(&sections, &functions, &helpers, &opts).map_err(|e| format!("{}: {e}", input.display()))?;
    check_image(&encoded).map_err(|e| format!("{}: {e}", input.display()))?;
    write(out, &encoded)?;
    Ok(format!(
        "wrote {} ({} bytes): {} instructions, {} LDDWD/LDDWR rewritten, {} functions, helpers: {}",
        out.display(),
        encoded.len(),
        sections.text.len() / 8,
        lowered,
        functions.len(),
        if helpers.is_empty() {
            "none".to_string()
        } else {
            helpers.iter().map(|h| format!("{h:#x}")).collect::<Vec<_>>().join(", ")
        }
    ))
}
