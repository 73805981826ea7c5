//! Assembler for the bpf_conformance assembly syntax (being written).
