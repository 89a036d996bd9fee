//! The contract of [`CatalogStore`]: services are created once under their id and replaced
//! only from the version last read.

use booking_core::{Error, catalog::Service, ids::ServiceId, ports::CatalogStore};

use crate::{fixtures::service, join_all, winners};

fn renamed(s: &Service, name: &str, updated_at: &str) -> Service {
    Service {
        name: name.into(),
        updated_at: updated_at.parse().unwrap(),
        ..s.clone()
    }
}

fn is_stale_conflict(e: &Error) -> bool {
    matches!(e, Error::Conflict { field: "id", .. })
}

pub async fn a_new_service_can_be_read_back(store: &dyn CatalogStore) {
    let haircut = service("Haircut");
    store.insert(&haircut).await.unwrap();
    assert_eq!(store.get(haircut.id).await.unwrap(), Some(haircut));
    assert_eq!(store.get(ServiceId::new()).await.unwrap(), None);
}

pub async fn a_second_service_with_the_same_id_is_rejected(store: &dyn CatalogStore) {
    // Given a service
    let haircut = service("Haircut");
    store.insert(&haircut).await.unwrap();

    // When another is inserted under its id
    let err = store
        .insert(&renamed(&haircut, "Shave", "2026-11-28T11:00:00Z"))
        .await
        .unwrap_err();

    // Then it is a conflict and the first one stays
    assert!(
        matches!(&err, Error::Conflict { field: "id", reason } if reason == "already exists"),
        "{err:?}"
    );
    assert_eq!(store.get(haircut.id).await.unwrap(), Some(haircut));
}

pub async fn the_list_is_in_id_order_and_shows_inactive_services_only_when_asked(
    store: &dyn CatalogStore,
) {
    // Given two active services and an inactive one
    let a = service("Colour");
    let b = service("Beard trim");
    let hidden = Service {
        active: false,
        ..service("Perm")
    };
    for s in [&a, &b, &hidden] {
        store.insert(s).await.unwrap();
    }

    // When the catalog is listed with and without inactive services
    let public = store.list(false).await.unwrap();
    let everything = store.list(true).await.unwrap();

    // Then both are in id order, and only the full list has the inactive one
    for list in [&public, &everything] {
        assert!(list.windows(2).all(|w| w[0].id < w[1].id));
    }
    assert!(public.contains(&a) && public.contains(&b));
    assert!(public.iter().all(|s| s.active));
    assert!(!public.iter().any(|s| s.id == hidden.id));
    assert!(everything.contains(&a) && everything.contains(&b) && everything.contains(&hidden));
    let active_in_everything: Vec<&Service> = everything.iter().filter(|s| s.active).collect();
    assert_eq!(active_in_everything, public.iter().collect::<Vec<_>>());
}

pub async fn a_replace_from_the_current_service_is_stored(store: &dyn CatalogStore) {
    // Given a service
    let v1 = service("Haircut");
    store.insert(&v1).await.unwrap();

    // When it is replaced from what was just read
    let v2 = Service {
        price_minor: 3000,
        active: false,
        ..renamed(&v1, "Haircut deluxe", "2026-11-28T12:00:00Z")
    };
    store.replace(&v1, &v2).await.unwrap();

    // Then the new version is what is stored and listed
    assert_eq!(store.get(v1.id).await.unwrap(), Some(v2.clone()));
    assert!(store.list(true).await.unwrap().contains(&v2));
    assert!(
        !store
            .list(false)
            .await
            .unwrap()
            .iter()
            .any(|s| s.id == v1.id)
    );
}

pub async fn a_replace_from_a_stale_service_is_a_conflict(store: &dyn CatalogStore) {
    // Given a service replaced once, and a second replacement that does not bump updatedAt
    let v1 = service("Haircut");
    store.insert(&v1).await.unwrap();
    let v2 = renamed(&v1, "Haircut v2", "2026-11-28T12:00:00Z");
    store.replace(&v1, &v2).await.unwrap();
    let v3 = Service {
        description: "Same instant, other words".into(),
        ..v2.clone()
    };
    store.replace(&v2, &v3).await.unwrap();

    // When a writer replaces from an older read, with or without the same updatedAt
    let from_v1 = store
        .replace(&v1, &renamed(&v1, "Lost", "2026-11-28T13:00:00Z"))
        .await
        .unwrap_err();
    let from_v2 = store
        .replace(&v2, &renamed(&v2, "Lost too", "2026-11-28T13:00:00Z"))
        .await
        .unwrap_err();

    // Then both are told it changed meanwhile, and the latest version stays
    assert!(is_stale_conflict(&from_v1), "{from_v1:?}");
    assert!(is_stale_conflict(&from_v2), "{from_v2:?}");
    assert_eq!(store.get(v1.id).await.unwrap(), Some(v3));
}

pub async fn of_ten_concurrent_replaces_from_one_read_exactly_one_wins(store: &dyn CatalogStore) {
    // Given a service that ten writers read at once
    let v1 = service("Haircut");
    store.insert(&v1).await.unwrap();
    let nexts: Vec<Service> = (0..10)
        .map(|i| renamed(&v1, &format!("Haircut {i}"), "2026-11-28T12:00:00Z"))
        .collect();

    // When they all replace it
    let results = join_all(nexts.iter().map(|n| store.replace(&v1, n)).collect()).await;

    // Then one wins, the others conflict, and the winner's version is stored
    let winners = winners(&nexts, &results);
    assert_eq!(winners.len(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(is_stale_conflict)
    );
    assert_eq!(store.get(v1.id).await.unwrap().as_ref(), Some(winners[0]));
}

pub async fn replacing_a_missing_service_is_not_found(store: &dyn CatalogStore) {
    let ghost = service("Ghost");
    let err = store
        .replace(&ghost, &renamed(&ghost, "Ghost 2", "2026-11-28T12:00:00Z"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound("service")), "{err:?}");
    assert_eq!(store.get(ghost.id).await.unwrap(), None);
}
