//! bpf_conformance `.data` file parser and runner (being written).
