fn main() {
    eprintln!("femto: not implemented yet");
    std::process::exit(2);
}
