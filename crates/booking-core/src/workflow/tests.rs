//! Tests of [`super`].

use super::*;

#[test]
fn task_inputs_read_the_asl_parameters() {
    let release: ReserveTask = serde_json::from_value(serde_json::json!({
        "action": "release", "reservationId": "01KB0000000000000000000000",
        "error": {"Error": "PaymentDeclined", "Cause": "{\"errorType\":\"PaymentDeclined\",\"errorMessage\":\"no\"}"}
    }))
    .unwrap();
    let ReserveTask::Release { error: Some(e), .. } = release else {
        panic!("{release:?}")
    };
    assert_eq!(
        (e.error.as_str(), e.message().as_str()),
        ("PaymentDeclined", "no")
    );
    let authorize: PayTask = serde_json::from_value(serde_json::json!({
        "action": "authorize", "reservationId": "01KB0000000000000000000000"
    }))
    .unwrap();
    assert!(matches!(authorize, PayTask::Authorize { .. }));
    assert!(serde_json::from_value::<PayTask>(serde_json::json!({"action": "steal"})).is_err());
}

#[test]
fn a_task_resource_without_a_local_task_is_refused_at_start_up() {
    let machine = StateMachine::parse(
        &json!({"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": "${OtherFunctionArn}", "End": true
        }}})
        .to_string(),
    )
    .unwrap();
    let error = check_resources(&machine).unwrap_err().to_string();
    assert!(error.contains("${OtherFunctionArn}"), "{error}");
    for machine in [booking_state_machine(), cancel_state_machine()] {
        check_resources(machine).unwrap();
    }
}

#[test]
fn every_state_name_is_a_state_of_its_asl_file_and_back() {
    // Given the two definitions, then each enum names exactly their states
    check_states::<BookingState>(booking_state_machine()).unwrap();
    check_states::<CancelState>(cancel_state_machine()).unwrap();
    for s in BookingState::ALL {
        assert!(
            booking_state_machine().states.contains_key(s.as_str()),
            "{s}"
        );
        assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
    }
    for s in CancelState::ALL {
        assert!(
            cancel_state_machine().states.contains_key(s.as_str()),
            "{s}"
        );
    }
    // And a state the code does not name is refused at start-up
    let machine = StateMachine::parse(
        &json!({"StartAt": "Hold", "States": {"Hold": {"Type": "Succeed"}}}).to_string(),
    )
    .unwrap();
    let error = check_states::<BookingState>(&machine)
        .unwrap_err()
        .to_string();
    assert!(error.contains("no state IsPrepaid"), "{error}");
    let error = check_states::<CancelState>(&machine)
        .unwrap_err()
        .to_string();
    assert!(error.contains("state Hold has no name"), "{error}");
}

#[test]
fn an_execution_that_ends_awaiting_authentication_hands_over_the_client_secret() {
    let waiting = json!({"reservationId": "01KB0000000000000000000000",
        "authorize": {"status": "requires_action", "clientSecret": "pi_1_secret_2"}});
    assert_eq!(
        Outcome::succeeded(&waiting),
        Outcome::ActionRequired {
            client_secret: "pi_1_secret_2".into()
        }
    );
    let booked = json!({"authorize": {"status": "authorized", "clientSecret": null}});
    assert_eq!(Outcome::succeeded(&booked), Outcome::Succeeded);
    assert_eq!(Outcome::succeeded(&json!({})), Outcome::Succeeded);
}
