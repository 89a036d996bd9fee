//! The contract of [`UserStore`]: one user per email, whatever the races, cursor pages, and
//! role changes only by a current admin, never of their own role.

use std::collections::BTreeSet;

use booking_core::{
    Error,
    ids::UserId,
    ports::UserStore,
    user::{Role, User},
};

use crate::{
    fixtures::{unique_email, user},
    join_all, winners,
};

fn is_email_conflict(e: &Error) -> bool {
    matches!(e, Error::Conflict { field: "email", reason } if reason == "is already registered")
}

pub async fn a_new_user_can_be_read_back_by_id_and_by_email(store: &dyn UserStore) {
    // Given a registered user
    let ana = user(&unique_email("ana"));
    store.insert(&ana).await.unwrap();

    // Then both lookups find exactly that user, and unknown ones find nobody
    assert_eq!(store.get(ana.id).await.unwrap(), Some(ana.clone()));
    assert_eq!(store.find_by_email(&ana.email).await.unwrap(), Some(ana));
    assert_eq!(store.get(UserId::new()).await.unwrap(), None);
    let nobody = unique_email("nobody");
    assert_eq!(store.find_by_email(&nobody).await.unwrap(), None);
}

pub async fn a_second_user_with_the_same_email_is_rejected(store: &dyn UserStore) {
    // Given a registered email
    let email = unique_email("twice");
    let first = user(&email);
    store.insert(&first).await.unwrap();

    // When another user registers with it
    let second = user(&email);
    let err = store.insert(&second).await.unwrap_err();

    // Then it is a conflict on the email, and nothing of the second user is stored
    assert!(is_email_conflict(&err), "{err:?}");
    assert_eq!(store.find_by_email(&email).await.unwrap(), Some(first));
    assert_eq!(store.get(second.id).await.unwrap(), None);
}

pub async fn of_twenty_concurrent_registrations_of_one_email_exactly_one_succeeds(
    store: &dyn UserStore,
) {
    // Given twenty users racing for one email
    let email = unique_email("race");
    let users: Vec<User> = (0..20).map(|_| user(&email)).collect();

    // When they all insert at once
    let results = join_all(users.iter().map(|u| store.insert(u)).collect()).await;

    // Then exactly one wins, the others are told the email is taken, and the email leads to
    // the winner
    let winners = winners(&users, &results);
    assert_eq!(winners.len(), 1, "{results:?}");
    for r in &results {
        if let Err(e) = r {
            assert!(is_email_conflict(e), "{e:?}");
        }
    }
    let found = store.find_by_email(&email).await.unwrap();
    assert_eq!(found.as_ref(), Some(winners[0]));
    for loser in users.iter().filter(|u| u.id != winners[0].id) {
        assert_eq!(store.get(loser.id).await.unwrap(), None);
    }
}

pub async fn pages_follow_the_cursor_to_the_end_without_duplicates_or_gaps(store: &dyn UserStore) {
    // Given seven more users
    let mine: BTreeSet<UserId> = {
        let mut ids = BTreeSet::new();
        for _ in 0..7 {
            let u = user(&unique_email("page"));
            store.insert(&u).await.unwrap();
            ids.insert(u.id);
        }
        ids
    };

    // When the whole list is read three at a time
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = store.list(after, 3).await.unwrap();
        let next = page.next.clone();
        pages.push(page);
        match next {
            Some(cursor) => after = Some(UserId::parse("cursor", &cursor).unwrap()),
            None => break,
        }
    }

    // Then every page but the last is full and its cursor is its last id
    let (last, full) = pages.split_last().unwrap();
    for page in full {
        assert_eq!(page.items.len(), 3);
        assert_eq!(page.next, Some(page.items[2].id.to_string()));
    }
    assert!(last.items.len() <= 3);
    // And the pages together are the one-page list: in id order, no duplicates, no gaps
    let paged: Vec<UserId> = pages.iter().flat_map(|p| &p.items).map(|u| u.id).collect();
    assert!(paged.windows(2).all(|w| w[0] < w[1]), "{paged:?}");
    let everyone = store.list(None, 10_000).await.unwrap();
    assert_eq!(everyone.next, None);
    let all: Vec<UserId> = everyone.items.iter().map(|u| u.id).collect();
    assert_eq!(paged, all);
    assert!(mine.iter().all(|id| all.contains(id)));

    // And a page that ends exactly at the last user has no next cursor
    let total = all.len();
    assert_eq!(store.list(None, total).await.unwrap().next, None);
    let short = store.list(None, total - 1).await.unwrap();
    assert_eq!(short.next, Some(all[total - 2].to_string()));
    let tail = store.list(Some(all[total - 2]), 5).await.unwrap();
    assert_eq!(
        tail.items.iter().map(|u| u.id).collect::<Vec<_>>(),
        [all[total - 1]]
    );
    assert_eq!(tail.next, None);
}

async fn admin(store: &dyn UserStore) -> User {
    let a = User {
        role: Role::Admin,
        ..user(&unique_email("admin"))
    };
    store.insert(&a).await.unwrap();
    a
}

pub async fn a_role_change_is_stored_and_returned(store: &dyn UserStore) {
    // Given an admin and a customer
    let boss = admin(store).await;
    let ana = user(&unique_email("staff"));
    store.insert(&ana).await.unwrap();

    // When the admin makes her staff
    let changed = store.set_role(boss.id, ana.id, Role::Staff).await.unwrap();

    // Then the change is returned and stored, and nothing else changed
    let expected = User {
        role: Role::Staff,
        ..ana.clone()
    };
    assert_eq!(changed, expected);
    assert_eq!(store.get(ana.id).await.unwrap(), Some(expected.clone()));
    assert_eq!(
        store.find_by_email(&ana.email).await.unwrap(),
        Some(expected)
    );
}

pub async fn changing_the_role_of_an_unknown_user_finds_nobody(store: &dyn UserStore) {
    let boss = admin(store).await;
    assert!(matches!(
        store.set_role(boss.id, UserId::new(), Role::Admin).await,
        Err(Error::NotFound("user"))
    ));
}

pub async fn only_a_current_admin_may_change_a_role_and_never_their_own(store: &dyn UserStore) {
    // Given an admin, a staff member and a customer
    let boss = admin(store).await;
    let staff = User {
        role: Role::Staff,
        ..user(&unique_email("staff"))
    };
    store.insert(&staff).await.unwrap();
    let ana = user(&unique_email("ana"));
    store.insert(&ana).await.unwrap();

    // Then staff, customers and unknown actors are refused, and so is an admin's own role
    for actor in [staff.id, ana.id, UserId::new()] {
        assert!(matches!(
            store.set_role(actor, ana.id, Role::Admin).await,
            Err(Error::Forbidden)
        ));
    }
    assert!(matches!(
        store.set_role(boss.id, boss.id, Role::Customer).await,
        Err(Error::Conflict { field: "id", .. })
    ));
    // And nothing changed
    assert_eq!(
        store.get(ana.id).await.unwrap().unwrap().role,
        Role::Customer
    );
    assert_eq!(store.get(boss.id).await.unwrap().unwrap().role, Role::Admin);
}

pub async fn two_admins_demoting_each_other_at_once_leave_one_admin(store: &dyn UserStore) {
    for round in 0..10 {
        // Given two admins
        let (a, b) = (admin(store).await, admin(store).await);

        // When each demotes the other at the same time
        let results = join_all(vec![
            store.set_role(a.id, b.id, Role::Customer),
            store.set_role(b.id, a.id, Role::Customer),
        ])
        .await;

        // Then exactly one wins, the other is refused, and one admin remains
        let won = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(won, 1, "round {round}: {results:?}");
        assert!(
            results.iter().any(|r| matches!(r, Err(Error::Forbidden))),
            "round {round}: {results:?}"
        );
        let roles = [
            store.get(a.id).await.unwrap().unwrap().role,
            store.get(b.id).await.unwrap().unwrap().role,
        ];
        assert_eq!(
            roles.iter().filter(|r| **r == Role::Admin).count(),
            1,
            "round {round}: {roles:?}"
        );
    }
}
