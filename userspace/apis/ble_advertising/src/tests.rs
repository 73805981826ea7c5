//! Unit tests of the BLE advertising API against the fake driver in `fake.rs`.

use crate::fake::FakeBle;
use crate::{AdvPayload, PduType, MAX_PAYLOAD};
use libtock_platform::{share, ErrorCode};
use libtock_unittest::fake;

type Ble = crate::BleAdvertising<fake::Syscalls>;

#[test]
fn no_driver() {
    let _kernel = fake::Kernel::new();
    assert_eq!(Ble::exists(), Err(ErrorCode::NoDevice));
    assert_eq!(
        Ble::start(PduType::NonConnectable, 100),
        Err(ErrorCode::NoDevice)
    );
}

#[test]
fn exists_without_side_effects() {
    let kernel = fake::Kernel::new();
    let driver = FakeBle::new();
    kernel.add_driver(&driver);
    assert_eq!(Ble::exists(), Ok(()));
    assert_eq!(driver.advertising(), None);
}

#[test]
fn advertise_payload_then_stop() {
    let kernel = fake::Kernel::new();
    let driver = FakeBle::new();
    kernel.add_driver(&driver);
    let mut payload = AdvPayload::new();
    payload
        .flags(0x06)
        .unwrap()
        .manufacturer_data(0xFFFF, &[0xCD, 0x08])
        .unwrap();
    share::scope(|allow| {
        assert_eq!(
            Ble::advertise(allow, payload.as_bytes(), PduType::NonConnectable, 500),
            Ok(())
        );
        assert_eq!(driver.advertising(), Some((0b0010, 500)));
        assert_eq!(
            driver.advertising_event().unwrap(),
            [2, 0x01, 0x06, 5, 0xFF, 0xFF, 0xFF, 0xCD, 0x08]
        );
        // Already advertising.
        assert_eq!(
            Ble::start(PduType::NonConnectable, 500),
            Err(ErrorCode::Busy)
        );
        assert_eq!(Ble::stop(), Ok(()));
    });
    assert_eq!(driver.advertising_event(), None);
    // Not advertising any more.
    assert_eq!(Ble::stop(), Err(ErrorCode::Busy));
}

#[test]
fn interval_is_at_least_20_ms() {
    let kernel = fake::Kernel::new();
    let driver = FakeBle::new();
    kernel.add_driver(&driver);
    assert_eq!(Ble::start(PduType::Connectable, 1), Ok(()));
    assert_eq!(driver.advertising(), Some((0, 20)));
}

#[test]
fn payload_unshared_at_end_of_scope() {
    let kernel = fake::Kernel::new();
    let driver = FakeBle::new();
    kernel.add_driver(&driver);
    let data = [1u8, 2, 3];
    share::scope(|allow| {
        Ble::advertise(allow, &data, PduType::Scannable, 100).unwrap();
        assert_eq!(driver.advertising_event().unwrap(), [1, 2, 3]);
    });
    // Still advertising (not stopped), but the buffer is no longer shared.
    assert_eq!(driver.advertising_event().unwrap(), Vec::<u8>::new());
}

#[test]
fn tx_power() {
    let kernel = fake::Kernel::new();
    let driver = FakeBle::new();
    kernel.add_driver(&driver);
    assert_eq!(Ble::set_tx_power(4), Ok(()));
    assert_eq!(driver.tx_power(), 4);
    assert_eq!(Ble::set_tx_power(-20), Ok(()));
    assert_eq!(driver.tx_power(), 0xEC);
    // Out of the Bluetooth range: refused before the syscall.
    assert_eq!(Ble::set_tx_power(11), Err(ErrorCode::Invalid));
    assert_eq!(Ble::set_tx_power(-21), Err(ErrorCode::Invalid));
    // In range but not supported by the radio.
    assert_eq!(Ble::set_tx_power(1), Err(ErrorCode::Invalid));
    assert_eq!(driver.tx_power(), 0xEC);
    // Not while advertising.
    Ble::start(PduType::NonConnectable, 100).unwrap();
    assert_eq!(Ble::set_tx_power(0), Err(ErrorCode::Busy));
}

#[test]
fn payload_builder() {
    let mut p = AdvPayload::new();
    p.name("femto").unwrap();
    assert_eq!(p.as_bytes(), [6, 0x09, b'f', b'e', b'm', b't', b'o']);
    // 7 used; a 22-byte data structure (2 + 22 = 24) fits exactly in 31.
    p.push(0x16, &[0xAA; 22]).unwrap();
    assert_eq!(p.as_bytes().len(), MAX_PAYLOAD);
    // Nothing more fits, and a failed push changes nothing.
    let before = p.clone();
    assert_eq!(p.flags(0x06).err(), Some(ErrorCode::Size));
    assert_eq!(p, before);
    let mut q = AdvPayload::new();
    assert_eq!(q.push(0xFF, &[0; 30]).err(), Some(ErrorCode::Size));
    assert_eq!(q.as_bytes(), []);
}

#[test]
fn stop_during_an_advertising_event() {
    let kernel = fake::Kernel::new();
    let driver = FakeBle::new();
    kernel.add_driver(&driver);
    Ble::start(PduType::NonConnectable, 100).unwrap();
    driver.set_in_event(true);
    assert_eq!(Ble::stop(), Err(ErrorCode::Busy));
    assert!(driver.advertising().is_some());
    // The event ends after two waits; stop_retrying gets through.
    let waits = std::cell::Cell::new(0);
    let result = Ble::stop_retrying(5, || {
        waits.set(waits.get() + 1);
        if waits.get() == 2 {
            driver.set_in_event(false);
        }
    });
    assert_eq!(result, Ok(()));
    assert_eq!(waits.get(), 2);
    assert_eq!(driver.advertising(), None);
    // Not advertising: Busy on every attempt, and the attempts are bounded.
    waits.set(0);
    assert_eq!(
        Ble::stop_retrying(3, || waits.set(waits.get() + 1)),
        Err(ErrorCode::Busy)
    );
    assert_eq!(waits.get(), 2);
}
