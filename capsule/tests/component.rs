//! The component as a board uses it, and the temperature hook layer between
//! a sensor and the userspace temperature driver.
mod common;
mod harness;

use core::cell::{Cell, RefCell};

use capsules_core::virtualizers::virtual_alarm::MuxAlarm;
use capsules_femto::component::{
    FemtoContainersComponent, FemtoTemperatureComponent, DEFAULT_HOOKS,
};
use capsules_femto::helpers::Services;
use capsules_femto::hooks::{FemtoHooks, TEMPERATURE_ID};
use capsules_femto::DRIVER_NUM;
use common::*;
use harness::*;
use kernel::component::Component;
use kernel::hil::sensors::{TemperatureClient, TemperatureDriver};
use kernel::hil::time::Alarm;
use kernel::ErrorCode;

/// A sensor that returns queued readings when asked.
struct FakeSensor {
    client: Cell<Option<&'static dyn TemperatureClient>>,
    readings: RefCell<Vec<i32>>,
    requests: Cell<usize>,
}

impl TemperatureDriver<'static> for FakeSensor {
    fn set_client(&self, client: &'static dyn TemperatureClient) {
        self.client.set(Some(client));
    }
    fn read_temperature(&self) -> Result<(), ErrorCode> {
        self.requests.set(self.requests.get() + 1);
        Ok(())
    }
}

impl FakeSensor {
    /// Completes one pending reading (as the hardware interrupt would).
    fn complete(&self) {
        let v = self.readings.borrow_mut().remove(0);
        self.client.get().expect("client").callback(Ok(v));
    }
}

/// Stands in for capsules_extra's TemperatureSensor: records what it gets.
#[derive(Default)]
struct App {
    got: RefCell<Vec<Result<i32, ErrorCode>>>,
}
impl TemperatureClient for App {
    fn callback(&self, value: Result<i32, ErrorCode>) {
        self.got.borrow_mut().push(value);
    }
}

#[test]
fn component_builds_a_working_capsule_and_temperature_layer() {
    let _g = lock();
    let b = boot(1);
    let hw = harness::new_alarm();
    let mux: &'static MuxAlarm<'static, FakeAlarm> = Box::leak(Box::new(MuxAlarm::new(hw)));
    hw.set_alarm_client(mux);
    // SAFETY: static_buf! hands out its static once; this test runs once.
    let femto =
        FemtoContainersComponent::new(b.kernel, DRIVER_NUM, mux, &DEFAULT_HOOKS).finalize(unsafe {
            capsules_femto::femto_containers_component_static!(FakeAlarm, 4, 512, 1024)
        });
    let sensor: &'static FakeSensor = Box::leak(Box::new(FakeSensor {
        client: Cell::new(None),
        readings: RefCell::new(vec![2000, 9000, 9100, 2100, 9000, 9000, 9000, 9000]),
        requests: Cell::new(0),
    }));
    // SAFETY: as above.
    let layer = FemtoTemperatureComponent::new(sensor, femto)
        .finalize(unsafe { capsules_femto::femto_temperature_component_static!(FakeSensor) });
    let app: &'static App = Box::leak(Box::default());
    layer.set_client(app);
    let w = b.with_drivers_and_alarm(vec![(DRIVER_NUM, femto)], Some(hw));

    // Syscalls reach the component-built capsule.
    let proc = w.procs[0];
    assert_eq!(
        u32_of(w.syscall(0, command(DRIVER_NUM, 8, 0, 0))),
        2,
        "timer + temperature"
    );

    // No container attached: readings pass straight through.
    layer.read_temperature().unwrap();
    sensor.complete();
    assert_eq!(app.got.borrow_mut().pop(), Some(Ok(2000)));
    assert_eq!(Services::sensor_last(femto, 0), Some(2000));

    // Attach an outlier filter: reject > 5000 (return -1), else add 50.
    let filter = Img::new(&[
        ldxw(2, 1, 0),        // 0
        jsgt_imm(2, 5000, 4), // 1 -> 6
        add_imm(2, 50),       // 2
        stxw(1, 2, 0),        // 3
        mov_imm(0, 0),        // 4
        exit(),               // 5
        mov_imm(0, -1),       // 6
        exit(),               // 7
    ])
    .build();
    proc.write_ram(IMAGE_AT, &filter);
    let r = w.syscalls(
        0,
        vec![
            allow_ro(proc, DRIVER_NUM, 0, IMAGE_AT, filter.len()),
            command(DRIVER_NUM, 1, 0, 0),
        ],
    );
    let id = u32_of(r[1]) as usize;
    assert!(is_ok(w.syscall(
        0,
        command(DRIVER_NUM, 5, id | ((TEMPERATURE_ID as usize) << 16), 0)
    )));
    assert!(femto.has_attached(TEMPERATURE_ID));

    // 9000 and 9100 are rejected (two new readings requested), 2100 passes as 2150.
    let before = sensor.requests.get();
    layer.read_temperature().unwrap();
    sensor.complete();
    sensor.complete();
    sensor.complete();
    assert_eq!(sensor.requests.get() - before, 3);
    assert_eq!(app.got.borrow_mut().pop(), Some(Ok(2150)));
    assert_eq!(
        Services::sensor_last(femto, 0),
        Some(2100),
        "raw value for fc_sensor_last"
    );

    // Four outliers in a row: after 3 retries the driver gets an error.
    layer.read_temperature().unwrap();
    for _ in 0..4 {
        sensor.complete();
    }
    assert_eq!(app.got.borrow_mut().pop(), Some(Err(ErrorCode::FAIL)));
    assert!(app.got.borrow().is_empty());
}
