//! Unit tests of the femto-containers API against the fake driver in `fake.rs`.

use crate::fake::{self, FakeEnvelope, FakeFemto, Outcome};
use crate::DRIVER_NUM;
use crate::{
    ContainerId, Fault, FaultKind, FaultListener, FaultReport, HookId, HookPolicy, LoadErrorKind,
    Notification, NotifyListener, ResultListener, RunError, RunResult, Source,
};
use core::cell::Cell;
use libtock_platform::{share, AllowRw, ErrorCode, Subscribe, Syscalls, YieldNoWaitReturn};
use libtock_unittest::fake as tfake;

type Femto = crate::Femto<tfake::Syscalls>;

const INCREMENT: &[u8] = b"image:increment";
const FAULTER: &[u8] = b"image:faulter";
const SPINNER: &[u8] = b"image:spinner";
const NEGATIVE: &[u8] = b"image:negative";
const REJECTED: &[u8] = b"image:rejected";

/// Adds 1 to the u64 at the start of the context and returns the new value.
fn increment(ctx: &mut [u8]) -> Outcome {
    let Some(bytes) = ctx.get_mut(..8) else {
        return Outcome::Fault { kind: 2, pc: 1 };
    };
    let value = u64::from_le_bytes(bytes.try_into().unwrap()).wrapping_add(1);
    bytes.copy_from_slice(&value.to_le_bytes());
    Outcome::Return { value, fuel: 0 }
}

/// Scribbles on the context, then faults with a memory error at pc 7.
fn faulter(ctx: &mut [u8]) -> Outcome {
    ctx.iter_mut().for_each(|b| *b = 0xEE);
    Outcome::Fault { kind: 2, pc: 7 }
}

/// A loop of 150 taken jumps (fuel units).
fn spinner(_ctx: &mut [u8]) -> Outcome {
    Outcome::Return {
        value: 9,
        fuel: 150,
    }
}

/// Returns -1.
fn negative(ctx: &mut [u8]) -> Outcome {
    if let Some(b) = ctx.get_mut(0) {
        *b = 0x55;
    }
    Outcome::Return {
        value: -1i64 as u64,
        fuel: 0,
    }
}

fn setup() -> (tfake::Kernel, std::rc::Rc<FakeFemto>) {
    let kernel = tfake::Kernel::new();
    let driver = FakeFemto::new();
    driver.add_program(INCREMENT, 0, increment);
    driver.add_program(FAULTER, 8, faulter);
    driver.add_program(SPINNER, 0, spinner);
    driver.add_program(NEGATIVE, 0, negative);
    driver.add_rejected(REJECTED, 3);
    kernel.add_driver(&driver);
    (kernel, driver)
}

#[test]
fn no_driver() {
    let _kernel = tfake::Kernel::new();
    assert_eq!(Femto::exists(), Err(ErrorCode::NoDevice));
    assert_eq!(Femto::load(INCREMENT), Err(ErrorCode::NoDevice));
    assert_eq!(Femto::limits(), Err(ErrorCode::NoDevice));
}

#[test]
fn exists() {
    let (_kernel, _driver) = setup();
    assert_eq!(Femto::exists(), Ok(()));
}

#[test]
fn load_and_run_increment() {
    let (_kernel, _driver) = setup();
    let id = Femto::load(INCREMENT).unwrap();
    let mut ctx = 41u64.to_le_bytes();
    assert_eq!(Femto::run(id, &mut ctx, 0), Ok(42));
    // The container's change to the context is copied back.
    assert_eq!(u64::from_le_bytes(ctx), 42);
    assert_eq!(Femto::run(id, &mut ctx, 0), Ok(43));
    assert_eq!(Femto::last_result(id), Ok(43));
}

#[test]
fn load_keeps_a_copy_and_unshares_the_image() {
    let (_kernel, driver) = setup();
    let mut image = INCREMENT.to_vec();
    let id = Femto::load(&image).unwrap();
    image[0] = b'X';
    assert_eq!(driver.image_copy(id.raw()).unwrap(), INCREMENT);
    // The image is no longer shared after load: another load sees no image.
    share::scope::<(), _, _>(|_| {});
    assert_eq!(
        tfake::Syscalls::command(crate::DRIVER_NUM, crate::command::LOAD, 0, 0).get_failure(),
        Some(ErrorCode::Reserve)
    );
    assert_eq!(
        Femto::last_load_error().unwrap().kind,
        LoadErrorKind::NoImage
    );
}

#[test]
fn load_errors() {
    let (_kernel, driver) = setup();
    assert_eq!(Femto::last_load_error().unwrap().kind, LoadErrorKind::None);

    assert_eq!(Femto::load(&[]), Err(ErrorCode::Reserve));
    assert_eq!(
        Femto::last_load_error().unwrap().kind,
        LoadErrorKind::NoImage
    );

    let big = vec![0u8; fake::MAX_IMAGE as usize + 1];
    assert_eq!(Femto::load(&big), Err(ErrorCode::Size));
    assert_eq!(
        Femto::last_load_error().unwrap().kind,
        LoadErrorKind::TooLarge
    );

    assert_eq!(Femto::load(b"not an image"), Err(ErrorCode::Invalid));
    assert_eq!(Femto::last_load_error().unwrap().kind, LoadErrorKind::Parse);

    assert_eq!(Femto::load(REJECTED), Err(ErrorCode::Invalid));
    let e = Femto::last_load_error().unwrap();
    assert_eq!((e.kind, e.location), (LoadErrorKind::Verify, 3));

    driver.add_program(b"image:huge-data", fake::MAX_DATA + 1, increment);
    assert_eq!(Femto::load(b"image:huge-data"), Err(ErrorCode::Size));
    assert_eq!(
        Femto::last_load_error().unwrap().kind,
        LoadErrorKind::DataTooLarge
    );

    // No failed load changed anything.
    assert_eq!(driver.loaded(), 0);

    let a = Femto::load(INCREMENT).unwrap();
    assert_eq!(Femto::last_load_error().unwrap().kind, LoadErrorKind::None);
    let b = Femto::load(INCREMENT).unwrap();
    assert_ne!(a, b);
    assert_eq!(Femto::load(SPINNER), Err(ErrorCode::NoMem));
    assert_eq!(
        Femto::last_load_error().unwrap().kind,
        LoadErrorKind::NoSlot
    );
    assert_eq!(driver.loaded(), 2);
}

#[test]
fn run_errors_and_faults() {
    let (_kernel, _driver) = setup();
    let id = Femto::load(FAULTER).unwrap();
    let mut ctx = [1u8, 2, 3, 4];
    assert_eq!(
        Femto::run(id, &mut ctx, 0),
        Err(RunError::Fault(Fault {
            kind: FaultKind::Memory,
            pc: 7
        }))
    );
    // After a fault the context is unchanged.
    assert_eq!(ctx, [1, 2, 3, 4]);
    assert_eq!(
        Femto::last_fault(id),
        Ok(Fault {
            kind: FaultKind::Memory,
            pc: 7
        })
    );

    // Context larger than the board's limit.
    let inc = Femto::load(INCREMENT).unwrap();
    let mut big = [0u8; fake::MAX_CONTEXT as usize + 1];
    assert_eq!(
        Femto::run(inc, &mut big, 0),
        Err(RunError::Refused(ErrorCode::Size))
    );
    assert_eq!(Femto::stats(inc).unwrap().runs, 0);

    // A container id that does not exist.
    let bogus = ContainerId::from_raw(0x7777).unwrap();
    assert_eq!(
        Femto::run(bogus, &mut ctx, 0),
        Err(RunError::Refused(ErrorCode::Invalid))
    );
    assert_eq!(
        Femto::run_no_context(bogus, 0),
        Err(RunError::Refused(ErrorCode::Invalid))
    );
}

#[test]
fn increment_with_empty_context_faults() {
    let (_kernel, _driver) = setup();
    let id = Femto::load(INCREMENT).unwrap();
    assert_eq!(
        Femto::run_no_context(id, 0),
        Err(RunError::Fault(Fault {
            kind: FaultKind::Memory,
            pc: 1
        }))
    );
}

#[test]
fn fuel_default_and_maximum() {
    let (_kernel, _driver) = setup();
    let id = Femto::load(SPINNER).unwrap();
    // Default fuel (100) is too little for 150 taken jumps.
    assert_eq!(
        Femto::run_no_context(id, 0),
        Err(RunError::Fault(Fault {
            kind: FaultKind::OutOfFuel,
            pc: fake::DEFAULT_FUEL
        }))
    );
    assert_eq!(
        Femto::run_no_context(id, 149).unwrap_err(),
        RunError::Fault(Fault {
            kind: FaultKind::OutOfFuel,
            pc: 149
        })
    );
    assert_eq!(Femto::run_no_context(id, 150), Ok(9));
    // More than the maximum is lowered to the maximum, and is enough here.
    assert_eq!(Femto::run_no_context(id, u32::MAX), Ok(9));
    let stats = Femto::stats(id).unwrap();
    assert_eq!((stats.runs, stats.faults), (4, 2));
    // Field 4 counts fuel used: the whole budget when it ran out.
    assert_eq!(stats.last_fuel, 150);
    assert_eq!(stats.total_fuel, fake::DEFAULT_FUEL + 149 + 150 + 150);
}

#[test]
fn unload_and_stale_ids() {
    let (_kernel, driver) = setup();
    let first = Femto::load(INCREMENT).unwrap();
    assert_eq!(Femto::unload(first), Ok(()));
    assert_eq!(Femto::unload(first), Err(ErrorCode::Invalid));
    assert_eq!(driver.loaded(), 0);
    let second = Femto::load(INCREMENT).unwrap();
    // The slot is reused, but the stale id is not.
    assert_ne!(first, second);
    let mut ctx = [0u8; 8];
    assert_eq!(
        Femto::run(first, &mut ctx, 0),
        Err(RunError::Refused(ErrorCode::Invalid))
    );
    assert_eq!(Femto::state(first), Err(ErrorCode::Invalid));
    assert_eq!(Femto::run(second, &mut ctx, 0), Ok(1));
}

#[test]
fn async_run_delivers_result_upcall() {
    let (_kernel, driver) = setup();
    let id = Femto::load(INCREMENT).unwrap();
    let result: Cell<Option<RunResult>> = Cell::new(None);
    let listener = ResultListener(|r| result.set(Some(r)));
    let mut ctx = 99u64.to_le_bytes();
    share::scope::<(AllowRw<_, DRIVER_NUM, 0>, Subscribe<_, DRIVER_NUM, 0>), _, _>(|handle| {
        let (allow, sub) = handle.split();
        Femto::share_context(allow, &mut ctx).unwrap();
        Femto::register_result_listener(&listener, sub).unwrap();
        assert_eq!(Femto::run_async(id, 0), Ok(()));
        // Pending: a second start, a synchronous run and unload are refused.
        assert_eq!(Femto::run_async(id, 0), Err(ErrorCode::Busy));
        // (The raw command: `Femto::run` would replace the shared context.)
        let sync = tfake::Syscalls::command(DRIVER_NUM, crate::command::RUN, id.raw().into(), 0);
        assert_eq!(sync.get_failure(), Some(ErrorCode::Busy));
        assert_eq!(Femto::unload(id), Err(ErrorCode::Busy));
        assert!(Femto::state(id).unwrap().run_pending);
        assert_eq!(
            tfake::Syscalls::yield_no_wait(),
            YieldNoWaitReturn::NoUpcall
        );
        driver.run_deferred();
        assert_eq!(tfake::Syscalls::yield_no_wait(), YieldNoWaitReturn::Upcall);
    });
    assert_eq!(
        result.get(),
        Some(RunResult {
            id,
            source: Source::Async,
            value: 100
        })
    );
    assert_eq!(u64::from_le_bytes(ctx), 100);
    assert!(!Femto::state(id).unwrap().run_pending);
}

#[test]
fn async_fault_delivers_fault_upcall() {
    let (_kernel, driver) = setup();
    let id = Femto::load(FAULTER).unwrap();
    let fault: Cell<Option<FaultReport>> = Cell::new(None);
    let listener = FaultListener(|f| fault.set(Some(f)));
    share::scope(|sub| {
        Femto::register_fault_listener(&listener, sub).unwrap();
        Femto::run_async(id, 0).unwrap();
        driver.run_deferred();
        assert_eq!(tfake::Syscalls::yield_no_wait(), YieldNoWaitReturn::Upcall);
    });
    assert_eq!(
        fault.get(),
        Some(FaultReport {
            id,
            source: Source::Async,
            fault: Fault {
                kind: FaultKind::Memory,
                pc: 7
            }
        })
    );
}

#[test]
fn run_async_wait() {
    let (_kernel, driver) = setup();
    driver.set_immediate_async(true);
    let inc = Femto::load(INCREMENT).unwrap();
    let mut ctx = 7u64.to_le_bytes();
    assert_eq!(Femto::run_async_wait(inc, &mut ctx, 0), Ok(8));
    assert_eq!(u64::from_le_bytes(ctx), 8);
    let bad = Femto::load(FAULTER).unwrap();
    assert_eq!(
        Femto::run_async_wait(bad, &mut ctx, 0),
        Err(RunError::Fault(Fault {
            kind: FaultKind::Memory,
            pc: 7
        }))
    );
    assert_eq!(u64::from_le_bytes(ctx), 8);
    let bogus = ContainerId::from_raw(0x4242).unwrap();
    assert_eq!(
        Femto::run_async_wait(bogus, &mut ctx, 0),
        Err(RunError::Refused(ErrorCode::Invalid))
    );
}

#[test]
fn attach_detach_errors() {
    let (_kernel, _driver) = setup();
    let id = Femto::load(INCREMENT).unwrap();
    let bogus = ContainerId::from_raw(0x0909).unwrap();
    assert_eq!(
        Femto::attach(bogus, HookId::TIMER, 10),
        Err(ErrorCode::Invalid)
    );
    assert_eq!(Femto::attach(id, HookId(9), 0), Err(ErrorCode::NoSupport));
    assert_eq!(Femto::attach(id, HookId::TIMER, 0), Err(ErrorCode::Size));
    assert_eq!(
        Femto::attach(id, HookId::TEMPERATURE, 5),
        Err(ErrorCode::Size)
    );
    assert_eq!(Femto::state(id).unwrap().hooks, 0);
    assert_eq!(Femto::attach(id, HookId::TIMER, 10), Ok(()));
    assert_eq!(
        Femto::attach(id, HookId::TIMER, 10),
        Err(ErrorCode::Already)
    );
    assert_eq!(Femto::attach(id, HookId::TEMPERATURE, 0), Ok(()));
    // Hook indices 0 (timer) and 1 (temperature).
    assert_eq!(Femto::state(id).unwrap().hooks, 0b11);
    assert_eq!(Femto::hook_info(0).unwrap().attached, 1);
    assert_eq!(Femto::detach(id, HookId(9)), Err(ErrorCode::NoSupport));
    assert_eq!(Femto::detach(bogus, HookId::TIMER), Err(ErrorCode::Invalid));
    assert_eq!(Femto::detach(id, HookId::TIMER), Ok(()));
    assert_eq!(Femto::detach(id, HookId::TIMER), Err(ErrorCode::Already));
    assert_eq!(Femto::state(id).unwrap().hooks, 0b10);
    assert_eq!(Femto::hook_info(0).unwrap().attached, 0);
}

#[test]
fn hook_runs_deliver_results_and_faults() {
    let (_kernel, driver) = setup();
    let inc = Femto::load(INCREMENT).unwrap();
    let bad = Femto::load(FAULTER).unwrap();
    Femto::attach(inc, HookId::TIMER, 100).unwrap();
    Femto::attach(bad, HookId::TIMER, 100).unwrap();
    let results: Cell<Option<RunResult>> = Cell::new(None);
    let faults: Cell<Option<FaultReport>> = Cell::new(None);
    let rl = ResultListener(|r| results.set(Some(r)));
    let fl = FaultListener(|f| faults.set(Some(f)));
    share::scope::<(Subscribe<_, DRIVER_NUM, 0>, Subscribe<_, DRIVER_NUM, 2>), _, _>(|handle| {
        let (sr, sf) = handle.split();
        Femto::register_result_listener(&rl, sr).unwrap();
        Femto::register_fault_listener(&fl, sf).unwrap();
        driver.fire_hook(1, &5u64.to_le_bytes());
        assert_eq!(tfake::Syscalls::yield_no_wait(), YieldNoWaitReturn::Upcall);
        assert_eq!(tfake::Syscalls::yield_no_wait(), YieldNoWaitReturn::Upcall);
        assert_eq!(
            tfake::Syscalls::yield_no_wait(),
            YieldNoWaitReturn::NoUpcall
        );
        assert_eq!(
            results.get(),
            Some(RunResult {
                id: inc,
                source: Source::Hook(HookId::TIMER),
                value: 6
            })
        );
        assert_eq!(faults.get().unwrap().source, Source::Hook(HookId::TIMER));
        assert_eq!(faults.get().unwrap().id, bad);

        // Detached containers no longer run.
        Femto::detach(inc, HookId::TIMER).unwrap();
        Femto::detach(bad, HookId::TIMER).unwrap();
        driver.fire_hook(1, &5u64.to_le_bytes());
        assert_eq!(
            tfake::Syscalls::yield_no_wait(),
            YieldNoWaitReturn::NoUpcall
        );
    });
}

#[test]
fn temperature_hook_chain_and_stop_on_negative() {
    let (_kernel, driver) = setup();
    let a = Femto::load(INCREMENT).unwrap();
    let b = Femto::load(NEGATIVE).unwrap();
    Femto::attach(a, HookId::TEMPERATURE, 0).unwrap();
    Femto::attach(b, HookId::TEMPERATURE, 0).unwrap();
    // The writable hook passes each container's changes to the next one.
    let out = driver.fire_hook(2, &2000u64.to_le_bytes());
    assert_eq!(out[..8], [0x55, 0x07, 0, 0, 0, 0, 0, 0]);
    assert_eq!(Femto::last_result(a), Ok(2001));
    assert_eq!(Femto::last_result(b), Ok(u64::MAX));
}

#[test]
fn notifications() {
    let (_kernel, driver) = setup();
    let id = Femto::load(INCREMENT).unwrap();
    let got: Cell<Option<Notification>> = Cell::new(None);
    let listener = NotifyListener(|n| got.set(Some(n)));
    share::scope(|sub| {
        Femto::register_notify_listener(&listener, sub).unwrap();
        driver.notify(id.raw(), 0x1_0000_0002);
        assert_eq!(tfake::Syscalls::yield_no_wait(), YieldNoWaitReturn::Upcall);
    });
    assert_eq!(
        got.get(),
        Some(Notification {
            id,
            value: 0x1_0000_0002
        })
    );
    // Unsubscribed by the end of the scope: no more notifications.
    got.set(None);
    driver.notify(id.raw(), 1);
    assert_eq!(
        tfake::Syscalls::yield_no_wait(),
        YieldNoWaitReturn::NoUpcall
    );
    assert_eq!(got.get(), None);
}

#[test]
fn malformed_upcall_ids_are_ignored() {
    let called = Cell::new(false);
    let rl = ResultListener(|_| called.set(true));
    libtock_platform::Upcall::upcall(&rl, 0, 1, 2);
    let nl = NotifyListener(|_| called.set(true));
    libtock_platform::Upcall::upcall(&nl, 0x10000, 1, 2);
    assert!(!called.get());
}

#[test]
fn hooks_and_limits() {
    let (_kernel, _driver) = setup();
    assert_eq!(Femto::hook_count(), Ok(2));
    let timer = Femto::hook_info(0).unwrap();
    assert_eq!(timer.id, HookId::TIMER);
    assert_eq!(
        (timer.context_size, timer.policy, timer.writable, timer.fuel),
        (16, HookPolicy::RunAll, false, 500)
    );
    let temp = Femto::hook_info(1).unwrap();
    assert_eq!(temp.id, HookId::TEMPERATURE);
    assert_eq!(
        (temp.policy, temp.writable, temp.fuel),
        (HookPolicy::StopOnNegative, true, 200)
    );
    assert_eq!(Femto::hook_info(2), Err(ErrorCode::Invalid));
    let l = Femto::limits().unwrap();
    assert_eq!(
        (
            l.max_containers,
            l.max_image_bytes,
            l.max_context_bytes,
            l.slot_bytes,
            l.default_fuel,
            l.max_fuel
        ),
        (
            fake::MAX_CONTAINERS,
            fake::MAX_IMAGE,
            fake::MAX_CONTEXT,
            fake::MAX_DATA,
            fake::DEFAULT_FUEL,
            fake::MAX_FUEL
        )
    );
}

#[test]
fn size_of_loaded_container() {
    let (_kernel, _driver) = setup();
    let id = Femto::load(FAULTER).unwrap();
    assert_eq!(Femto::size(id), Ok((FAULTER.len() as u32, 8)));
}

#[test]
fn decoding_unknown_values() {
    assert_eq!(FaultKind::from_raw(99), FaultKind::Unknown(99));
    assert_eq!(LoadErrorKind::from_raw(42), LoadErrorKind::Unknown(42));
    assert_eq!(ContainerId::from_raw(0), None);
    assert_eq!(ContainerId::from_raw(0x1_0000), None);
    assert_eq!(
        ContainerId::from_raw(0xFFFF).map(ContainerId::raw),
        Some(0xFFFF)
    );
}

// ---- signed install (command 12) --------------------------------------------

const BLINKY_V1: &[u8] = b"image:blinky-v1";
const BLINKY_V2: &[u8] = b"image:blinky-v2";
const OTHER_IMAGE: &[u8] = b"image:other";

fn returns_1(_ctx: &mut [u8]) -> Outcome {
    Outcome::Return { value: 1, fuel: 0 }
}

fn returns_2(_ctx: &mut [u8]) -> Outcome {
    Outcome::Return { value: 2, fuel: 0 }
}

fn valid(name: &'static str, sequence: u64, image: &[u8]) -> FakeEnvelope {
    FakeEnvelope::Valid {
        name,
        sequence,
        image: image.to_vec(),
    }
}

/// A fake board with blinky v1 (seq 1) and v2 (seq 2) envelopes, and an
/// envelope for another container name.
fn setup_update() -> (tfake::Kernel, std::rc::Rc<FakeFemto>) {
    let (kernel, driver) = setup();
    driver.add_named_program(BLINKY_V1, "blinky", 0, returns_1);
    driver.add_named_program(BLINKY_V2, "blinky", 0, returns_2);
    driver.add_named_program(OTHER_IMAGE, "other", 0, returns_2);
    driver.add_envelope(b"env:v1", valid("blinky", 1, BLINKY_V1));
    driver.add_envelope(b"env:v2", valid("blinky", 2, BLINKY_V2));
    driver.add_envelope(b"env:other", valid("other", 5, OTHER_IMAGE));
    (kernel, driver)
}

#[test]
fn install_new_container_records_its_sequence() {
    let (kernel, driver) = setup_update();
    let id = Femto::install(b"env:v1", None).unwrap();
    assert_eq!(Femto::run_no_context(id, 0), Ok(1));
    assert_eq!(Femto::sequence(id), Ok(1));
    assert_eq!(driver.accepted_sequence("blinky"), Some(1));
    assert_eq!(Femto::last_load_error().unwrap().kind, LoadErrorKind::None);
    // The envelope was shared with read-only allow 1 and unshared after.
    let allows: Vec<_> = kernel
        .take_syscall_log()
        .into_iter()
        .filter(|e| {
            matches!(e, libtock_unittest::SyscallLogEntry::AllowRo { driver_num, buffer_num: 1, .. }
                if *driver_num == DRIVER_NUM)
        })
        .collect();
    assert_eq!(allows.len(), 2);
    // An unsigned load has sequence 0.
    let plain = Femto::load(INCREMENT).unwrap();
    assert_eq!(Femto::sequence(plain), Ok(0));
}

#[test]
fn install_replaces_in_place_keeping_id_and_hooks() {
    let (_kernel, driver) = setup_update();
    let id = Femto::install(b"env:v1", None).unwrap();
    Femto::attach(id, HookId::TIMER, 100).unwrap();
    Femto::run_no_context(id, 0).unwrap();
    let new = Femto::install(b"env:v2", Some(id)).unwrap();
    assert_eq!(new, id);
    assert_eq!(driver.loaded(), 1);
    assert_eq!(Femto::sequence(id), Ok(2));
    assert_eq!(Femto::state(id).unwrap().hooks, 0b1);
    // Statistics restart at 0.
    assert_eq!(Femto::stats(id).unwrap().runs, 0);
    assert_eq!(Femto::run_no_context(id, 0), Ok(2));
    assert_eq!(driver.image_copy(id.raw()).unwrap(), BLINKY_V2);
}

#[test]
fn install_refuses_old_and_equal_sequences_and_keeps_the_container() {
    let (_kernel, driver) = setup_update();
    let id = Femto::install(b"env:v2", None).unwrap();
    for envelope in [&b"env:v2"[..], b"env:v1"] {
        assert_eq!(Femto::install(envelope, Some(id)), Err(ErrorCode::Already));
        let e = Femto::last_load_error().unwrap();
        assert_eq!((e.kind, e.location), (LoadErrorKind::OldSequence, 2));
        assert_eq!(Femto::run_no_context(id, 0), Ok(2));
        assert_eq!(Femto::sequence(id), Ok(2));
    }
    // Also as a new container: the sequence table is per name.
    assert_eq!(Femto::install(b"env:v1", None), Err(ErrorCode::Already));
    assert_eq!(driver.loaded(), 1);
    assert_eq!(driver.accepted_sequence("blinky"), Some(2));
}

#[test]
fn install_errors_are_reported_with_their_kinds() {
    let (_kernel, driver) = setup_update();
    let cases: [(&[u8], ErrorCode, LoadErrorKind, u32); 6] = [
        (
            b"env:malformed",
            ErrorCode::Invalid,
            LoadErrorKind::EnvelopeMalformed,
            17,
        ),
        (b"env:key", ErrorCode::Fail, LoadErrorKind::UnknownKey, 0),
        (b"env:sig", ErrorCode::Fail, LoadErrorKind::BadSignature, 0),
        (
            b"env:target",
            ErrorCode::NoDevice,
            LoadErrorKind::WrongTarget,
            0,
        ),
        (
            b"env:short",
            ErrorCode::Invalid,
            LoadErrorKind::SizeMismatch,
            12,
        ),
        (
            b"env:tampered",
            ErrorCode::Invalid,
            LoadErrorKind::DigestMismatch,
            0,
        ),
    ];
    for (envelope, error, kind, location) in cases {
        driver.add_envelope(
            envelope,
            FakeEnvelope::Refused {
                error,
                kind: kind.raw(),
                location,
            },
        );
    }
    let id = Femto::install(b"env:v1", None).unwrap();
    for (envelope, error, kind, location) in cases {
        assert_eq!(Femto::install(envelope, Some(id)), Err(error));
        let e = Femto::last_load_error().unwrap();
        assert_eq!((e.kind, e.location), (kind, location));
        assert_eq!(Femto::run_no_context(id, 0), Ok(1));
    }
    // Bytes that are no envelope at all.
    assert_eq!(Femto::install(b"garbage", None), Err(ErrorCode::Invalid));
    assert_eq!(
        Femto::last_load_error().unwrap().kind,
        LoadErrorKind::EnvelopeMalformed
    );
    // Nothing shared.
    assert_eq!(Femto::install(&[], None), Err(ErrorCode::Reserve));
    assert_eq!(
        Femto::last_load_error().unwrap().kind,
        LoadErrorKind::NoEnvelope
    );
    // Replacing a container of another name, or an id that is not ours.
    assert_eq!(
        Femto::install(b"env:other", Some(id)),
        Err(ErrorCode::Invalid)
    );
    assert_eq!(
        Femto::last_load_error().unwrap().kind,
        LoadErrorKind::NameMismatch
    );
    let stranger = ContainerId::from_raw(0x7F7F).unwrap();
    assert_eq!(
        Femto::install(b"env:v2", Some(stranger)),
        Err(ErrorCode::Invalid)
    );
    assert_eq!(
        Femto::last_load_error().unwrap().kind,
        LoadErrorKind::NoSuchContainer
    );
    // None of this changed the container or the sequence table.
    assert_eq!(driver.loaded(), 1);
    assert_eq!(Femto::sequence(id), Ok(1));
    assert_eq!(driver.accepted_sequence("blinky"), Some(1));
    assert_eq!(driver.accepted_sequence("other"), None);
}

#[test]
fn install_needs_a_policy_and_a_staging_slot() {
    let (_kernel, driver) = setup_update();
    driver.set_update_policy(false);
    assert_eq!(Femto::install(b"env:v1", None), Err(ErrorCode::NoSupport));
    driver.set_update_policy(true);
    let id = Femto::install(b"env:v1", None).unwrap();
    // Both slots used: no room to stage the new version.
    let _other = Femto::load(INCREMENT).unwrap();
    assert_eq!(Femto::install(b"env:v2", Some(id)), Err(ErrorCode::NoMem));
    assert_eq!(
        Femto::last_load_error().unwrap().kind,
        LoadErrorKind::NoSlot
    );
    assert_eq!(Femto::run_no_context(id, 0), Ok(1));
    // A refused install did not consume the sequence number.
    assert_eq!(driver.accepted_sequence("blinky"), Some(1));
}

#[test]
fn install_refuses_while_an_async_run_is_pending() {
    let (_kernel, driver) = setup_update();
    let id = Femto::install(b"env:v1", None).unwrap();
    Femto::run_async(id, 0).unwrap();
    assert_eq!(Femto::install(b"env:v2", Some(id)), Err(ErrorCode::Busy));
    assert_eq!(
        Femto::last_load_error().unwrap().kind,
        LoadErrorKind::NoSuchContainer
    );
    driver.run_deferred();
    assert_eq!(Femto::install(b"env:v2", Some(id)), Ok(id));
}

#[test]
fn load_error_kinds_round_trip() {
    for raw in 0..=21 {
        assert_eq!(LoadErrorKind::from_raw(raw).raw(), raw);
    }
    assert_eq!(LoadErrorKind::from_raw(14), LoadErrorKind::OldSequence);
    assert_eq!(LoadErrorKind::from_raw(21), LoadErrorKind::Unknown(21));
}
