//! The AWS clients' HTTPS client: rustls on ring, trusting only the roots AWS endpoints
//! chain to (Amazon Trust Services), compiled in. The SDK's default reads the machine's
//! whole certificate store at each cold start and parses it for each client (about 2 of
//! the 4.4 ms the functions took to start, by scripts/bench-coldstart); these five roots
//! cost nothing to load, and certificates are still verified. Other services (Stripe) have
//! other roots: their clients get their own store, never this one.

use aws_smithy_http_client::{
    Builder,
    tls::{Provider, TlsContext, TrustStore, rustls_provider::CryptoMode},
};
// The SDK's shared HTTP client type, which every service crate re-exports.
use aws_sdk_dynamodb::config::SharedHttpClient;

/// Amazon Root CA 1-4 and Starfield Services Root CA G2, as certs/README.md describes them.
/// Every AWS endpoint's certificate chains to one of them (Amazon Root CA 1-4 are also
/// cross-signed by the Starfield root, for older clients).
const AWS_ROOTS: [&[u8]; 5] = [
    include_bytes!("../certs/AmazonRootCA1.pem"),
    include_bytes!("../certs/AmazonRootCA2.pem"),
    include_bytes!("../certs/AmazonRootCA3.pem"),
    include_bytes!("../certs/AmazonRootCA4.pem"),
    include_bytes!("../certs/SFSRootCAG2.pem"),
];

/// The HTTPS client every AWS SDK client of the functions shares. A custom https://
/// endpoint (`AWS_ENDPOINT_URL*`) must also chain to these roots; the local cloud's are
/// plain http://, where TLS plays no part.
pub fn aws_http_client() -> SharedHttpClient {
    let roots = AWS_ROOTS.iter().fold(TrustStore::empty(), |store, pem| {
        store.with_pem_certificate(*pem)
    });
    let context = TlsContext::builder()
        .with_trust_store(roots)
        .build()
        // aws-smithy-http-client's builder has no failing case (it stores the PEMs, which
        // it parses when the SDK first builds a connector: the tests below parse them).
        .expect("a TLS context always builds");
    Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https()
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use rustls::{
        CertificateError, Error, RootCertStore,
        client::{WebPkiServerVerifier, danger::ServerCertVerifier},
        crypto::ring::{cipher_suite::TLS13_AES_128_GCM_SHA256, default_provider},
        pki_types::{CertificateDer, ServerName, UnixTime, pem::PemObject},
    };

    use super::*;

    /// The store as aws-smithy-http-client builds it from a `TrustStore` of PEMs (each
    /// PEM's certificates, then `RootCertStore::add`, which panics there on a bad one).
    fn store() -> RootCertStore {
        let mut roots = RootCertStore::empty();
        for pem in AWS_ROOTS {
            for der in CertificateDer::pem_slice_iter(pem) {
                roots.add(der.unwrap()).unwrap();
            }
        }
        roots
    }

    fn sha256(der: &[u8]) -> String {
        // ring's SHA-256, reached through rustls rather than as one more dependency.
        let hash = TLS13_AES_128_GCM_SHA256
            .tls13()
            .unwrap()
            .common
            .hash_provider;
        hash.hash(der)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    }

    fn chain(pem: &[u8]) -> Vec<CertificateDer<'static>> {
        CertificateDer::pem_slice_iter(pem)
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Verifies `chain` (leaf first) for `name` at `date` (seconds since the epoch) the
    /// way rustls verifies a server during the handshake, against the compiled-in roots.
    fn verify(chain: &[CertificateDer<'_>], name: &str, date: u64) -> Result<(), Error> {
        let verifier = WebPkiServerVerifier::builder_with_provider(
            Arc::new(store()),
            default_provider().into(),
        )
        .build()
        .unwrap();
        let at = UnixTime::since_unix_epoch(Duration::from_secs(date));
        let name = ServerName::try_from(name.to_owned()).unwrap();
        verifier
            .verify_server_cert(&chain[0], &chain[1..], &name, &[], at)
            .map(|_| ())
    }

    /// 2026-06-01T00:00:00Z, within the validity of the committed aws.amazon.com chain.
    const JUNE_2026: u64 = 1_780_272_000;

    #[test]
    fn the_trust_store_holds_exactly_the_five_amazon_trust_services_roots() {
        // Given the compiled-in PEMs, when each is parsed, then each is one certificate
        let ders: Vec<_> = AWS_ROOTS.iter().flat_map(|pem| chain(pem)).collect();
        assert_eq!(ders.len(), AWS_ROOTS.len());
        // And they are the roots certs/README.md names, by SHA-256 fingerprint
        let fingerprints: Vec<_> = ders.iter().map(|der| sha256(der)).collect();
        assert_eq!(
            fingerprints,
            [
                "8ECDE6884F3D87B1125BA31AC3FCB13D7016DE7F57CC904FE1CB97C6AE98196E",
                "1BA5B2AA8C65401A82960118F80BEC4F62304D83CEC4713A19C39C011EA46DB4",
                "18CE6CFE7BF14E60B2E347B8DFE868CB31D02EBB3ADA271569F50343B46DB3A4",
                "E35D28419ED02025CFA69038CD623962458DA5C695FBDEA3C22B0BFB25897092",
                "568D6905A2C88708A4B3025190EDCFEDB1974A606A13C6E5290FCB2AE63EDAB5",
            ]
        );
        // And every one is a usable trust anchor, in a store of exactly five
        assert_eq!(store().len(), 5);
    }

    #[test]
    fn a_chain_that_aws_serves_verifies_against_the_store() {
        // Given the chain aws.amazon.com served (leaf, Amazon RSA 2048 M04, the Starfield
        // cross-signs), committed in certs/fixtures
        let chain = chain(include_bytes!("../certs/fixtures/aws.amazon.com-chain.pem"));
        // Then it verifies while the leaf is valid, for its names only
        assert_eq!(verify(&chain, "aws.amazon.com", JUNE_2026), Ok(()));
        assert!(matches!(
            verify(&chain, "www.amazon.com", JUNE_2026),
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForNameContext { .. }
            ))
        ));
        // And not once it has expired: verification is on
        assert!(matches!(
            verify(&chain, "aws.amazon.com", JUNE_2026 + 365 * 86_400),
            Err(Error::InvalidCertificate(
                CertificateError::ExpiredContext { .. }
            ))
        ));
    }

    #[test]
    fn a_chain_to_another_root_is_refused() {
        // Given letsencrypt.org's chain, to ISRG Root X1 (in every system store)
        let chain = chain(include_bytes!(
            "../certs/fixtures/letsencrypt.org-chain.pem"
        ));
        // Then the AWS clients do not trust it
        assert_eq!(
            verify(&chain, "letsencrypt.org", JUNE_2026),
            Err(Error::InvalidCertificate(CertificateError::UnknownIssuer))
        );
    }

    #[test]
    fn an_sdk_client_builds_its_connector_from_the_compiled_in_roots() {
        // Given an SDK client config with this HTTPS client
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .http_client(aws_http_client())
            .build();
        // When the client is built (the SDK builds a connector then, parsing the PEMs),
        // then it does not panic
        let _client = aws_sdk_dynamodb::Client::from_conf(config);
    }
}
