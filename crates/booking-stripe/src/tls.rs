//! The Stripe client's TLS: rustls on ring, trusting only the seven roots Stripe lists for
//! its domains (<https://docs.stripe.com/tls-certificates>), compiled in. A store of its
//! own, apart from the AWS clients' (booking-aws's Amazon roots): neither trusts what only
//! the other needs.

use std::sync::Arc;

use rustls::{
    ClientConfig, RootCertStore,
    client::WebPkiServerVerifier,
    crypto::ring::default_provider,
    pki_types::{CertificateDer, pem::PemObject},
};

/// The roots Stripe lists for api.stripe.com and its other domains, as certs/README.md
/// describes them.
const STRIPE_ROOTS: [&[u8]; 7] = [
    include_bytes!("../certs/DigiCert_Global_Root_CA.pem"),
    include_bytes!("../certs/DigiCert_Global_Root_G2.pem"),
    include_bytes!("../certs/DigiCert_Global_Root_G3.pem"),
    include_bytes!("../certs/DigiCert_High_Assurance_EV_Root_CA.pem"),
    include_bytes!("../certs/GlobalSign_Root_CA_R3.pem"),
    include_bytes!("../certs/GlobalSign_Root_CA_R6.pem"),
    include_bytes!("../certs/GlobalSign_ECC_Root_CA_R5.pem"),
];

/// The trust store: exactly [`STRIPE_ROOTS`].
pub fn roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    for pem in STRIPE_ROOTS {
        for der in CertificateDer::pem_slice_iter(pem) {
            // The PEMs are compiled in and parsed by the tests below: a failure here is a
            // broken build, not a run-time condition.
            let der = der.expect("a compiled-in Stripe root is a valid PEM");
            roots
                .add(der)
                .expect("a compiled-in Stripe root is a valid trust anchor");
        }
    }
    roots
}

/// How every Stripe server is checked: its chain to one of [`roots`], for its name, at the
/// time of the handshake, with ring's signature algorithms.
pub fn verifier() -> Arc<WebPkiServerVerifier> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots()), default_provider().into())
        .build()
        .expect("a store of valid roots builds a verifier")
}

/// The TLS client configuration of every Stripe connection: TLS 1.2 and 1.3 with ring's
/// suites, servers checked by [`verifier`], no client certificate.
pub fn client_config() -> ClientConfig {
    ClientConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring's provider supports the default protocol versions")
        .with_webpki_verifier(verifier())
        .with_no_client_auth()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rustls::{
        CertificateError, Error,
        client::danger::ServerCertVerifier,
        pki_types::{ServerName, UnixTime},
    };

    use super::*;

    fn hex(digest: ring::digest::Digest) -> String {
        digest.as_ref().iter().map(|b| format!("{b:02X}")).collect()
    }

    /// `pem`'s certificates (a chain: the leaf first).
    fn certificates(pem: &[u8]) -> Vec<CertificateDer<'static>> {
        let ders = CertificateDer::pem_slice_iter(pem).collect::<Result<Vec<_>, _>>();
        ders.unwrap()
    }

    /// What the client's [`verifier`] says of the chain `pem` for `name` at `date` (Unix
    /// seconds), as during a handshake.
    fn verify(pem: &[u8], name: &str, date: u64) -> Result<(), Error> {
        let [leaf, intermediates @ ..] = &certificates(pem)[..] else {
            panic!("an empty chain");
        };
        let at = UnixTime::since_unix_epoch(Duration::from_secs(date));
        let name = ServerName::try_from(name.to_owned()).unwrap();
        let verified = verifier().verify_server_cert(leaf, intermediates, &name, &[], at);
        verified.map(|_| ())
    }

    /// 2022-06-01T00:00:00Z, within the validity of the committed cloudflare-dns.com chain.
    const JUNE_2022: u64 = 1_654_041_600;

    #[test]
    fn the_trust_store_holds_exactly_the_seven_roots_stripe_lists() {
        // Given the compiled-in PEMs, when each is parsed, then each is one certificate
        let ders: Vec<_> = STRIPE_ROOTS
            .iter()
            .flat_map(|pem| certificates(pem))
            .collect();
        assert_eq!(ders.len(), STRIPE_ROOTS.len());
        // And they are the roots Stripe's page lists, by the SHA-1 fingerprints it gives
        let sha1: Vec<_> = ders
            .iter()
            .map(|der| {
                hex(ring::digest::digest(
                    &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
                    der,
                ))
            })
            .collect();
        assert_eq!(
            sha1,
            [
                "A8985D3A65E5E5C4B2D7D66D40C6DD2FB19C5436",
                "DF3C24F9BFD666761B268073FE06D1CC8D4F82A4",
                "7E04DE896A3E666D00E687D33FFAD93BE83D349E",
                "5FB7EE0633E259DBAD0C4C9AE6D38F1A61C7DC25",
                "D69B561148F01C77C54578C10926DF5B856976AD",
                "8094640EB5A7A1CA119C1FDDD59F810263A7FBD1",
                "1F24C630CDA418EF2069FFAD4FDD5F463A1B69AA",
            ]
        );
        // And by the SHA-256 fingerprints certs/README.md records
        let sha256: Vec<_> = ders
            .iter()
            .map(|der| hex(ring::digest::digest(&ring::digest::SHA256, der)))
            .collect();
        assert_eq!(
            sha256,
            [
                "4348A0E9444C78CB265E058D5E8944B4D84F9662BD26DB257F8934A443C70161",
                "CB3CCBB76031E5E0138F8DD39A23F9DE47FFC35E43C1144CEA27D46A5AB1CB5F",
                "31AD6648F8104138C738F39EA4320133393E3A18CC02296EF97C2AC9EF6731D0",
                "7431E5F4C3C1CE4690774F0B61E05440883BA9A01ED00BA6ABD7806ED3B118CF",
                "CBB522D7B7F127AD6A0113865BDF1CD4102E7D0759AF635A7CF4720DC963C53B",
                "2CABEAFE37D06CA22ABA7391C0033D25982952C453647349763A3AB5AD6CCF69",
                "179FBC148A3DD00FD24EA13458CC43BFA7F59C8182D783A513F6EBEC100C8924",
            ]
        );
        // And every one is a usable trust anchor, in a store of exactly seven
        assert_eq!(roots().len(), 7);
    }

    #[test]
    fn a_chain_to_a_digicert_root_verifies_and_nothing_else_does() {
        // Given a chain a DigiCert-issued server served (leaf, DigiCert TLS Hybrid ECC
        // SHA384 2020 CA1, DigiCert Global Root CA), committed in certs/fixtures
        let cloudflare = include_bytes!("../certs/fixtures/cloudflare-dns.com-chain.pem");
        // Then it verifies while the leaf is valid, for its names only
        assert_eq!(verify(cloudflare, "cloudflare-dns.com", JUNE_2022), Ok(()));
        assert!(matches!(
            verify(cloudflare, "api.stripe.com", JUNE_2022),
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForNameContext { .. }
            ))
        ));
        // And not once it has expired: verification is on
        assert!(matches!(
            verify(cloudflare, "cloudflare-dns.com", JUNE_2022 + 365 * 86_400),
            Err(Error::InvalidCertificate(
                CertificateError::ExpiredContext { .. }
            ))
        ));
        // And a chain to a root Stripe does not list is refused: aws.amazon.com's, which
        // the AWS clients' store trusts (2026-06-01, within its leaf's validity)
        let aws = include_bytes!("../../booking-aws/certs/fixtures/aws.amazon.com-chain.pem");
        assert_eq!(
            verify(aws, "aws.amazon.com", 1_780_272_000),
            Err(Error::InvalidCertificate(CertificateError::UnknownIssuer))
        );
    }
}
