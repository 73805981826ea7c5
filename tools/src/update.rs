//! `femto keygen`, `femto sign`, `femto deploy` (and `femto inspect` of an
//! envelope): signed updates on the host side. The envelope format is the
//! `femto-update` crate's (see `doc/update.md`).
//!
//! Key files are text: the secret key file holds the 32-byte Ed25519 seed as
//! 64 hex digits, the public key file (`<key>.pub`) the 32-byte public key as
//! 64 hex digits. Both end with a newline.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{ToSocketAddrs, UdpSocket};
use std::path::{Path, PathBuf};
use std::time::Duration;

use femto_update::sign::public_key;
use femto_update::{key_id, sign_envelope, Envelope, Manifest, Target, TrustedKey, SIGNATURE_OVERHEAD};
use femto_vm::Image;

use crate::cmd::{read, write};

/// Vendor used when `--target` gives only a class, or is absent.
pub const DEFAULT_VENDOR: &str = "femto-containers";
/// Class (board id) used when `--target` is absent: the QEMU board.
pub const DEFAULT_CLASS: &str = "qemu_rv32_virt";

/// The delivery framing (shared with the device side, `femto_update::transfer`).
pub use femto_update::transfer::UDP_CHUNK;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses exactly 32 bytes from 64 hex digits (surrounding whitespace ignored).
pub fn parse_key_hex(text: &str) -> Result<[u8; 32], String> {
    let t = text.trim();
    if t.len() != 64 || !t.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err("a key file must hold exactly 64 hex digits".into());
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&t[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Reads a secret key file (the seed).
pub fn read_secret(path: &Path) -> Result<[u8; 32], String> {
    let text = String::from_utf8(read(path)?).map_err(|_| format!("{}: not text", path.display()))?;
    parse_key_hex(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The public key file that goes with a secret key file: `<key>.pub`.
pub fn public_path(secret: &Path) -> PathBuf {
    let mut s = secret.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

/// Rust source a board uses to trust `public` (for `capsules_femto::UpdatePolicy`).
pub fn board_snippet(public: &[u8; 32]) -> String {
    let mut s = String::from("capsules_femto::TrustedKey::new([");
    for (i, b) in public.iter().enumerate() {
        if i % 8 == 0 {
            s.push_str("\n    ");
        } else {
            s.push(' ');
        }
        let _ = write!(s, "0x{b:02x},");
    }
    s.push_str("\n])");
    s
}

/// `femto keygen KEY`: a new Ed25519 key from the OS's random source; writes
/// `KEY` (secret, mode 0600 on Unix) and `KEY.pub`. Refuses to overwrite an
/// existing key unless `force`. Returns a summary with the board snippet.
pub fn keygen(secret_path: &Path, force: bool) -> Result<String, String> {
    if secret_path.exists() && !force {
        return Err(format!("{} exists (use --force to overwrite)", secret_path.display()));
    }
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .map_err(|e| format!("cannot read random bytes from /dev/urandom: {e}"))?;
    write_keypair(secret_path, &seed)
}

/// Writes the key files of `seed` (see [`keygen`]).
pub fn write_keypair(secret_path: &Path, seed: &[u8; 32]) -> Result<String, String> {
    let public = public_key(seed);
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(secret_path)
            .map_err(|e| format!("cannot write {}: {e}", secret_path.display()))?;
        writeln!(f, "{}", hex(seed)).map_err(|e| format!("cannot write {}: {e}", secret_path.display()))?;
    }
    let pub_path = public_path(secret_path);
    write(&pub_path, format!("{}\n", hex(&public)).as_bytes())?;
    Ok(format!(
        "wrote {} (secret: keep it off the device) and {}\nkey id {}\ntrust it on a board with:\n{}",
        secret_path.display(),
        pub_path.display(),
        hex(&key_id(&public)),
        board_snippet(&public)
    ))
}

/// Parses `--target`: `VENDOR/CLASS`, or just `CLASS` (vendor
/// [`DEFAULT_VENDOR`]).
pub fn parse_target(text: &str) -> Result<(String, String), String> {
    let (vendor, class) = match text.split_once('/') {
        Some((v, c)) => (v, c),
        None => (DEFAULT_VENDOR, text),
    };
    for part in [vendor, class] {
        if part.is_empty() || part.len() > femto_update::MAX_NAME_LEN {
            return Err(format!(
                "target '{text}': vendor and class must be 1 to {} bytes",
                femto_update::MAX_NAME_LEN
            ));
        }
    }
    Ok((vendor.to_string(), class.to_string()))
}

/// What `femto sign` needs.
#[derive(Debug, Clone)]
pub struct SignOptions {
    /// Sequence number (must grow with every release of this container).
    pub sequence: u64,
    /// `(vendor, class)`.
    pub target: (String, String),
    /// Container name; default: the image's own name.
    pub name: Option<String>,
}

/// Builds a signed envelope for `image` (an image file's bytes). The image
/// must parse and verify (what the device will check after the signature),
/// and its name must be the manifest's.
pub fn sign_image(image: &[u8], seed: &[u8; 32], opts: &SignOptions) -> Result<Vec<u8>, String> {
    let parsed = Image::parse(image).map_err(|e| format!("not a valid image: {e}"))?;
    parsed
        .verify()
        .map_err(|e| format!("the image is rejected by the verifier (a device would refuse it too): {e}"))?;
    let own = std::str::from_utf8(parsed.name())
        .map_err(|_| "the image's name is not UTF-8".to_string())?;
    let name = opts.name.as_deref().unwrap_or(own);
    if name != own {
        return Err(format!(
            "--name '{name}' differs from the image's own name '{own}' (the device requires them equal; repack with --name)"
        ));
    }
    if name.is_empty() {
        return Err("the image has no name (RIOT images have none): repack it with `femto pack --name`".into());
    }
    let target = Target { vendor: &opts.target.0, class: &opts.target.1 };
    let manifest = Manifest::for_image(image, name, opts.sequence, target).map_err(|e| e.to_string())?;
    let mut out = vec![0u8; image.len() + SIGNATURE_OVERHEAD];
    let n = sign_envelope(&manifest, image, seed, &mut out).map_err(|e| format!("cannot sign: {e}"))?;
    out.truncate(n);
    Ok(out)
}

/// `femto sign IMAGE --key KEY --seq N [--target T] [--name NAME] -o OUT`.
pub fn sign(image_path: &Path, key_path: &Path, opts: &SignOptions, out: &Path) -> Result<String, String> {
    let image = read(image_path)?;
    let seed = read_secret(key_path)?;
    let envelope = sign_image(&image, &seed, opts).map_err(|e| format!("{}: {e}", image_path.display()))?;
    write(out, &envelope)?;
    Ok(format!(
        "wrote {} ({} bytes: {} of signature and manifest + {} of image), sequence {}, target {}/{}, key id {}",
        out.display(),
        envelope.len(),
        envelope.len() - image.len(),
        image.len(),
        opts.sequence,
        opts.target.0,
        opts.target.1,
        hex(&key_id(&public_key(&seed)))
    ))
}

/// Describes an envelope; with `public`, also verifies it as a device with
/// that single trusted key would (signature, then size and digest; the
/// target is shown, not checked).
pub fn describe_envelope(bytes: &[u8], public: Option<&[u8; 32]>) -> Result<String, String> {
    let env = Envelope::parse(bytes).map_err(|e| format!("not a valid envelope: {e}"))?;
    let mut s = String::new();
    let _ = writeln!(s, "envelope: {} bytes (COSE_Sign1 {} + image {})", bytes.len(), env.header_len, bytes.len() - env.header_len);
    let _ = writeln!(s, "key id:   {}", hex(&env.kid));
    let manifest = match public {
        Some(pk) => {
            let (m, _) = env.verify(&[TrustedKey::new(*pk)]).map_err(|e| format!("verification failed: {e}"))?;
            let image = bytes.get(env.header_len..).unwrap_or(&[]);
            m.check_image(image).map_err(|e| format!("verification failed: {e}"))?;
            let _ = writeln!(s, "signature: valid for {}; image size and SHA-256 match", hex(pk));
            m
        }
        None => {
            let m = Manifest::decode(env.payload).map_err(|e| format!("bad manifest: {e}"))?;
            let _ = writeln!(s, "signature: not checked (give --key-pub to verify)");
            m
        }
    };
    let _ = writeln!(s, "name:     {}", manifest.name);
    let _ = writeln!(s, "sequence: {}", manifest.sequence);
    let _ = writeln!(s, "target:   {}/{}", manifest.target.vendor, manifest.target.class);
    let _ = writeln!(s, "image:    {} bytes, sha256 {}", manifest.image_size, hex(&manifest.digest));
    Ok(s)
}

/// The serial transfer frame: `"FCUP"`, the envelope length as u32 little
/// endian, the envelope.
pub fn serial_frame(envelope: &[u8]) -> Result<Vec<u8>, String> {
    let len = u32::try_from(envelope.len()).map_err(|_| "envelope larger than 4 GiB".to_string())?;
    let mut f = Vec::with_capacity(envelope.len() + 8);
    f.extend_from_slice(&femto_update::transfer::serial_header(len));
    f.extend_from_slice(envelope);
    Ok(f)
}

/// The UDP datagrams of a transfer: each is `"FU"`, transfer id (u16 LE),
/// offset (u16 LE), total length (u16 LE), then at most [`UDP_CHUNK`]
/// envelope bytes. The receiver installs the envelope once it holds all
/// `total` bytes of one transfer id.
pub fn udp_datagrams(envelope: &[u8], transfer: u16) -> Result<Vec<Vec<u8>>, String> {
    let total = u16::try_from(envelope.len()).map_err(|_| "envelope larger than 64 KiB: too large for UDP delivery".to_string())?;
    Ok(envelope
        .chunks(UDP_CHUNK)
        .enumerate()
        .map(|(i, chunk)| {
            let offset = (i * UDP_CHUNK) as u16;
            let mut d = Vec::with_capacity(8 + chunk.len());
            d.extend_from_slice(&femto_update::transfer::udp_header(transfer, offset, total));
            d.extend_from_slice(chunk);
            d
        })
        .collect())
}

/// Where `femto deploy` sends an envelope.
#[derive(Debug, Clone)]
pub enum Destination {
    /// A serial device (or any file/pipe): one [`serial_frame`].
    Serial(PathBuf),
    /// A UDP address: [`udp_datagrams`].
    Udp(String),
}

/// `femto deploy ENVELOPE --serial DEV | --udp ADDR:PORT`. Checks that the
/// file is a well-formed envelope first (it does not need the key). Over a
/// serial line, waits up to `wait` for the updater's one-line answer and
/// returns it.
pub fn deploy(path: &Path, to: &Destination, wait: Duration) -> Result<String, String> {
    let envelope = read(path)?;
    let env = Envelope::parse(&envelope).map_err(|e| format!("{}: not a valid envelope: {e}", path.display()))?;
    let manifest = Manifest::decode(env.payload).map_err(|e| format!("{}: bad manifest: {e}", path.display()))?;
    let what = format!("{} (sequence {}, {} bytes)", manifest.name, manifest.sequence, envelope.len());
    match to {
        Destination::Serial(dev) => {
            configure_tty(dev);
            let mut port = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(dev)
                .map_err(|e| format!("cannot open {}: {e}", dev.display()))?;
            port.write_all(&serial_frame(&envelope)?)
                .and_then(|_| port.flush())
                .map_err(|e| format!("cannot write to {}: {e}", dev.display()))?;
            let answer = read_answer(port, wait);
            Ok(match answer {
                Some(line) => format!("sent {what} to {}; updater: {line}", dev.display()),
                None => format!("sent {what} to {}; no answer within {} s", dev.display(), wait.as_secs()),
            })
        }
        Destination::Udp(addr) => {
            let target = addr
                .to_socket_addrs()
                .map_err(|e| format!("bad address {addr}: {e}"))?
                .next()
                .ok_or_else(|| format!("bad address {addr}"))?;
            let bind = if target.is_ipv6() { "[::]:0" } else { "0.0.0.0:0" };
            let sock = UdpSocket::bind(bind).map_err(|e| format!("cannot open a UDP socket: {e}"))?;
            let mut transfer = [0u8; 2];
            let _ = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut transfer));
            let datagrams = udp_datagrams(&envelope, u16::from_le_bytes(transfer))?;
            for d in &datagrams {
                sock.send_to(d, target).map_err(|e| format!("cannot send to {target}: {e}"))?;
                // 802.15.4 radios and Tock's receive path have little buffering.
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(format!("sent {what} to {target} in {} datagrams", datagrams.len()))
        }
    }
}

/// Puts a terminal into raw mode at 115200 baud with `stty`, if it is one
/// (pipes and files are left alone).
fn configure_tty(dev: &Path) {
    let _ = std::process::Command::new("stty")
        .arg("-F")
        .arg(dev)
        .args(["raw", "-echo", "115200"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// Reads one line from `port` within `wait` (in a helper thread, since a
/// serial device read blocks).
fn read_answer(mut port: std::fs::File, wait: Duration) -> Option<String> {
    if wait.is_zero() {
        return None;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = Vec::new();
        let mut b = [0u8; 1];
        while let Ok(1) = port.read(&mut b) {
            if b[0] == b'\n' {
                break;
            }
            line.push(b[0]);
        }
        let _ = tx.send(String::from_utf8_lossy(&line).trim().to_string());
    });
    rx.recv_timeout(wait).ok().filter(|l| !l.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use femto_vm::image::{Function, ImageSpec};

    fn image(name: &[u8]) -> Vec<u8> {
        // mov r0, 7; exit
        let text = [0xb7, 0, 0, 0, 7, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];
        let functions = [Function { name: b"main", pc: 0 }];
        let spec = ImageSpec { name, functions: &functions, ..ImageSpec::of_text(&text) };
        let mut out = vec![0u8; spec.encoded_len().unwrap()];
        spec.encode(&mut out).unwrap();
        out
    }

    fn opts(seq: u64) -> SignOptions {
        SignOptions { sequence: seq, target: parse_target("qemu_rv32_virt").unwrap(), name: None }
    }

    fn tmp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("femto-update-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn key_files_round_trip_and_are_not_overwritten() {
        let k = tmp("k1");
        let _ = std::fs::remove_file(&k);
        let summary = keygen(&k, false).unwrap();
        assert!(summary.contains("TrustedKey::new(["), "{summary}");
        let seed = read_secret(&k).unwrap();
        let public = parse_key_hex(&std::fs::read_to_string(public_path(&k)).unwrap()).unwrap();
        assert_eq!(public, public_key(&seed));
        assert!(keygen(&k, false).is_err(), "existing key kept");
        let again = keygen(&k, true).unwrap();
        assert!(again.contains("wrote"));
        assert_ne!(read_secret(&k).unwrap(), seed, "new random key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&k).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn key_hex_is_strict() {
        assert!(parse_key_hex(&"ab".repeat(32)).is_ok());
        assert!(parse_key_hex(&format!("  {}\n", "0F".repeat(32))).is_ok());
        assert!(parse_key_hex(&"ab".repeat(31)).is_err());
        assert!(parse_key_hex(&"zz".repeat(32)).is_err());
        assert!(parse_key_hex(&format!("{}00", "ab".repeat(32))).is_err());
        assert!(parse_key_hex("").is_err());
    }

    #[test]
    fn targets() {
        assert_eq!(parse_target("nrf52840dk").unwrap(), ("femto-containers".into(), "nrf52840dk".into()));
        assert_eq!(parse_target("acme/sensor-v2").unwrap(), ("acme".into(), "sensor-v2".into()));
        assert!(parse_target("/x").is_err());
        assert!(parse_target("acme/").is_err());
        assert!(parse_target(&"x".repeat(33)).is_err());
    }

    #[test]
    fn signed_envelope_verifies_on_the_device_path() {
        let seed = [3u8; 32];
        let img = image(b"blinky");
        let env = sign_image(&img, &seed, &opts(12)).unwrap();
        let device = Target { vendor: "femto-containers", class: "qemu_rv32_virt" };
        let keys = [TrustedKey::new(public_key(&seed))];
        let (m, body) = femto_update::open(&env, &keys, &device).unwrap();
        assert_eq!((m.name, m.sequence), ("blinky", 12));
        assert_eq!(body, &img[..]);
        let text = describe_envelope(&env, Some(&public_key(&seed))).unwrap();
        assert!(text.contains("sequence: 12") && text.contains("signature: valid"), "{text}");
        let err = describe_envelope(&env, Some(&public_key(&[4u8; 32]))).unwrap_err();
        assert!(err.contains("unknown key"), "{err}");
    }

    #[test]
    fn sign_refuses_what_a_device_would_refuse() {
        let seed = [3u8; 32];
        assert!(sign_image(b"not an image", &seed, &opts(1)).unwrap_err().contains("not a valid image"));
        let mut o = opts(1);
        o.name = Some("other".into());
        assert!(sign_image(&image(b"blinky"), &seed, &o).unwrap_err().contains("differs"));
        // A program the verifier rejects: jump out of range.
        let mut bad = image(b"blinky");
        let text_at = bad.windows(8).position(|w| w == [0xb7, 0, 0, 0, 7, 0, 0, 0]).unwrap();
        bad[text_at..text_at + 8].copy_from_slice(&[0x05, 0, 9, 0, 0, 0, 0, 0]);
        assert!(sign_image(&bad, &seed, &opts(1)).unwrap_err().contains("verifier"));
    }

    #[test]
    fn sign_and_deploy_files_end_to_end() {
        let k = tmp("k2");
        write_keypair(&k, &[5u8; 32]).unwrap();
        let img_path = tmp("app.fc");
        std::fs::write(&img_path, image(b"app")).unwrap();
        let out = tmp("app.signed");
        let summary = sign(&img_path, &k, &opts(3), &out).unwrap();
        assert!(summary.contains("sequence 3"), "{summary}");
        // Deploy to a plain file standing in for a serial device: the frame.
        let dev = tmp("serial.bin");
        std::fs::write(&dev, b"").unwrap();
        let msg = deploy(&out, &Destination::Serial(dev.clone()), Duration::ZERO).unwrap();
        assert!(msg.contains("app (sequence 3"), "{msg}");
        let frame = std::fs::read(&dev).unwrap();
        let env = std::fs::read(&out).unwrap();
        assert_eq!(&frame[..4], b"FCUP");
        assert_eq!(u32::from_le_bytes(frame[4..8].try_into().unwrap()) as usize, env.len());
        assert_eq!(&frame[8..], &env[..]);
        let mut buf = vec![0u8; 2048];
        let mut device = femto_update::transfer::SerialReceiver::new(&mut buf);
        assert_eq!(
            device.push(&frame),
            (frame.len(), femto_update::transfer::Progress::Complete(env.len()))
        );
        assert_eq!(device.frame(), &env[..]);
        // Not an envelope: refused before sending.
        assert!(deploy(&img_path, &Destination::Serial(dev), Duration::ZERO).is_err());
    }

    #[test]
    fn udp_deploy_sends_reassemblable_datagrams() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let addr = rx.local_addr().unwrap().to_string();
        let k = tmp("k3");
        write_keypair(&k, &[6u8; 32]).unwrap();
        let img_path = tmp("u.fc");
        std::fs::write(&img_path, image(b"u")).unwrap();
        let out = tmp("u.signed");
        sign(&img_path, &k, &opts(1), &out).unwrap();
        let env = std::fs::read(&out).unwrap();
        let msg = deploy(&out, &Destination::Udp(addr), Duration::ZERO).unwrap();
        let n = env.len().div_ceil(UDP_CHUNK);
        assert!(msg.contains(&format!("in {n} datagrams")), "{msg}");
        let mut got = vec![0u8; env.len()];
        let mut transfer = None;
        for _ in 0..n {
            let mut buf = [0u8; 256];
            let len = rx.recv(&mut buf).unwrap();
            let d = &buf[..len];
            assert_eq!(&d[..2], b"FU");
            let id = u16::from_le_bytes([d[2], d[3]]);
            assert_eq!(*transfer.get_or_insert(id), id, "one transfer id");
            let off = u16::from_le_bytes([d[4], d[5]]) as usize;
            assert_eq!(u16::from_le_bytes([d[6], d[7]]) as usize, env.len());
            assert!(len - 8 <= UDP_CHUNK);
            got[off..off + len - 8].copy_from_slice(&d[8..]);
        }
        assert_eq!(got, env);
        assert!(udp_datagrams(&vec![0u8; 70_000], 1).is_err());
        // The device-side reassembler takes the same datagrams.
        let mut buf = vec![0u8; 2048];
        let mut device = femto_update::transfer::UdpReassembler::new(&mut buf);
        let mut done = None;
        for d in udp_datagrams(&env, 9).unwrap() {
            done = device.push(&d).unwrap();
        }
        assert_eq!(done, Some(env.len()));
        assert_eq!(device.envelope(), &env[..]);
    }
}
