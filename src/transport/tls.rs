//! TLS with rustls (ring as the crypto provider, no C toolchain beyond the
//! one SQLite needs): loading the configured certificate and key, the
//! acceptor for the TCP listener, and `modchat gen-cert`'s self-signed pair.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// rustls with ring, for servers and clients alike.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The server side of `[tls] cert` and `key`; a clear error naming the file
/// when either cannot be read or does not fit.
pub fn server_config(cert: &str, key: &str) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("tls.cert: cannot read {cert}"))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("tls.cert: {cert} is not PEM certificates"))?;
    if chain.is_empty() {
        anyhow::bail!("tls.cert: {cert} holds no certificate");
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("tls.key: cannot read a private key from {key}"))?;
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("tls: protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("tls: the key does not match the certificate")?;
    // no ALPN here: the TCP listener's JSON lines are no protocol a client
    // could name, so whatever it offers (or nothing) is accepted; HTTPS adds
    // `http/1.1` to its own copy (http.rs)
    Ok(Arc::new(config))
}

/// A client that trusts the certificates in `ca` (PEM), or the system's
/// roots when `ca` is `None`.
pub fn client_config(ca: Option<&Path>) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        Some(path) => {
            for c in CertificateDer::pem_file_iter(path)
                .with_context(|| format!("cannot read {}", path.display()))?
            {
                roots
                    .add(c.with_context(|| format!("{} is not PEM certificates", path.display()))?)
                    .context("a CA certificate was refused")?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for c in found.certs {
                let _ = roots.add(c);
            }
        }
    }
    Ok(Arc::new(
        rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .context("tls: protocol versions")?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    ))
}

/// How long a `gen-cert` certificate is valid: 825 days, the most Apple's
/// platforms accept for a TLS server certificate (browsers refuse longer
/// ones even from a CA the user added).
pub const GEN_CERT_DAYS: u64 = 825;

/// `modchat gen-cert`: a self-signed certificate for `hosts` (names or IP
/// addresses; the first is also the CN), shaped as a CA would issue a
/// server certificate so that strict clients and checkers (sslyze, Go,
/// OpenSSL's `-purpose sslserver`) accept it once trusted: keyUsage
/// digitalSignature and keyEncipherment, extendedKeyUsage serverAuth,
/// basicConstraints CA:FALSE, subject and authority key identifiers, valid
/// from a minute ago (clock skew) for [`GEN_CERT_DAYS`]. Returns
/// (certificate PEM, key PEM).
pub fn self_signed(hosts: &[String]) -> anyhow::Result<(String, String)> {
    use rcgen::{
        CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    use std::time::{Duration, SystemTime, UNIX_EPOCH};
    let Some(first) = hosts.first() else {
        anyhow::bail!("gen-cert: no host given");
    };
    let mut params =
        CertificateParams::new(hosts.to_vec()).context("gen-cert: a host is not a valid name")?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, first.as_str());
    params.distinguished_name = dn;
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the clock is before 1970")?;
    // rcgen takes `time` dates; counting from its epoch keeps that crate out
    // of our own dependencies
    let now = rcgen::date_time_ymd(1970, 1, 1) + Duration::from_secs(since_epoch.as_secs());
    params.not_before = now - Duration::from_secs(60);
    params.not_after = params.not_before + Duration::from_secs(GEN_CERT_DAYS * 86_400);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().context("cannot make a key")?;
    let cert = params
        .self_signed(&key)
        .context("cannot make a certificate")?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// Writes a new file that only its owner may read (a private key).
pub fn write_new(path: &Path, contents: &str, private: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if private { 0o600 } else { 0o644 });
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))?;
    f.write_all(contents.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}
