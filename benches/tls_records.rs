//! TLS record decryption throughput of `RecordDecryptor::decrypt` (plaintext
//! bytes per second), one direction, records built in memory beforehand:
//! - TLS 1.2 AES-128-GCM (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`);
//! - TLS 1.2 AES-128-CBC + HMAC-SHA1 (`TLS_RSA_WITH_AES_128_CBC_SHA`, MAC-then-encrypt);
//! - TLS 1.2 ChaCha20-Poly1305 and TLS 1.3 AES-128-GCM for comparison;
//!
//! at 1 KB records (typical SIP message size) and 16 KB (maximum record).
//!
//! ```text
//! cargo bench --bench tls_records -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;

use aes::Aes128;
use aes_gcm::Aes128Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit, Nonce};
use cbc::cipher::array::Array;
use cbc::cipher::{BlockModeEncrypt, KeyIvInit};
use chacha20poly1305::ChaCha20Poly1305;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fedscope::tls::crypto::{RecordDecryptor, suite};
use hmac::{Hmac, Mac};
use sha1::Sha1;

const APP: u8 = 0x17;
const RECORDS: usize = 64;

/// The 13-byte TLS 1.2 MAC / AEAD pseudo-header.
fn pseudo_header(seq: u64, len: usize) -> [u8; 13] {
    let mut h = [0u8; 13];
    h[..8].copy_from_slice(&seq.to_be_bytes());
    h[8] = APP;
    h[9..11].copy_from_slice(&0x0303u16.to_be_bytes());
    h[11..].copy_from_slice(&(len as u16).to_be_bytes());
    h
}

fn seal<A: AeadInOut>(a: &A, nonce: &[u8; 12], aad: &[u8], pt: &[u8]) -> Vec<u8> {
    let nonce = Nonce::<A>::try_from(&nonce[..]).expect("12-byte nonce");
    let mut buf = pt.to_vec();
    let tag = a
        .encrypt_inout_detached(&nonce, aad, (&mut buf[..]).into())
        .expect("seal");
    buf.extend_from_slice(&tag);
    buf
}

fn xor_nonce(iv: &[u8; 12], seq: u64) -> [u8; 12] {
    let mut n = *iv;
    for (b, s) in n[4..].iter_mut().zip(seq.to_be_bytes()) {
        *b ^= s;
    }
    n
}

/// TLS 1.2 GCM records: explicit nonce (= seq) || ciphertext || tag.
fn gcm12_records(key: &[u8; 16], salt: &[u8; 4], size: usize) -> Vec<Vec<u8>> {
    let a = Aes128Gcm::new_from_slice(key).expect("key");
    (0..RECORDS as u64)
        .map(|seq| {
            let mut n = [0u8; 12];
            n[..4].copy_from_slice(salt);
            n[4..].copy_from_slice(&seq.to_be_bytes());
            let mut rec = seq.to_be_bytes().to_vec();
            rec.extend(seal(&a, &n, &pseudo_header(seq, size), &vec![0x41; size]));
            rec
        })
        .collect()
}

/// TLS 1.2 ChaCha20-Poly1305 records (RFC 7905).
fn chacha12_records(key: &[u8; 32], iv: &[u8; 12], size: usize) -> Vec<Vec<u8>> {
    let a = ChaCha20Poly1305::new_from_slice(key).expect("key");
    (0..RECORDS as u64)
        .map(|seq| {
            seal(
                &a,
                &xor_nonce(iv, seq),
                &pseudo_header(seq, size),
                &vec![0x41; size],
            )
        })
        .collect()
}

/// TLS 1.3 AES-128-GCM records (inner type appended, no padding).
fn gcm13_records(key: &[u8; 16], iv: &[u8; 12], size: usize) -> Vec<Vec<u8>> {
    let a = Aes128Gcm::new_from_slice(key).expect("key");
    (0..RECORDS as u64)
        .map(|seq| {
            let mut inner = vec![0x41; size];
            inner.push(APP);
            let len = (inner.len() + 16) as u16;
            let aad = [APP, 3, 3, (len >> 8) as u8, len as u8];
            seal(&a, &xor_nonce(iv, seq), &aad, &inner)
        })
        .collect()
}

/// TLS 1.2 AES-128-CBC-SHA records: IV || E(content || HMAC-SHA1 || padding).
fn cbc_sha_records(key: &[u8; 16], mac_key: &[u8; 20], size: usize) -> Vec<Vec<u8>> {
    (0..RECORDS as u64)
        .map(|seq| {
            let pt = vec![0x41; size];
            let mut m = <Hmac<Sha1> as KeyInit>::new_from_slice(mac_key).expect("key");
            m.update(&pseudo_header(seq, size));
            m.update(&pt);
            let mut data = pt;
            data.extend_from_slice(&m.finalize().into_bytes());
            let pad = 16 - (data.len() + 1) % 16;
            data.extend(std::iter::repeat_n(pad as u8, pad + 1));
            let iv = [seq as u8; 16];
            let mut enc = cbc::Encryptor::<Aes128>::new_from_slices(key, &iv).expect("key");
            let (blocks, _) = Array::slice_as_chunks_mut(&mut data);
            enc.encrypt_blocks(blocks);
            let mut rec = iv.to_vec();
            rec.extend(data);
            rec
        })
        .collect()
}

/// Benchmarks decrypting `records` (each holding `size` plaintext bytes) in order.
fn run(c: &mut Criterion, name: &str, size: usize, mut dec: RecordDecryptor, records: &[Vec<u8>]) {
    let mut g = c.benchmark_group("tls_records");
    g.throughput(Throughput::Bytes((size * records.len()) as u64));
    let mut out = Vec::with_capacity(size + 64);
    g.bench_function(format!("{name}/{}B", size), |b| {
        b.iter(|| {
            for (seq, rec) in records.iter().enumerate() {
                out.clear();
                let ty = dec
                    .decrypt(seq as u64, APP, 0x0303, black_box(rec), &mut out)
                    .expect("decrypts");
                black_box((ty, &out));
            }
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let key16 = [7u8; 16];
    let key32 = [9u8; 32];
    let iv12 = [3u8; 12];
    let salt = [5u8; 4];
    let mac_key = [11u8; 20];
    let gcm = suite(0xC02F).expect("suite");
    let cbc = suite(0x002F).expect("suite");
    let chacha = suite(0xCCA8).expect("suite");
    let gcm13 = suite(0x1301).expect("suite");
    for size in [1024, 16384] {
        let d = RecordDecryptor::new(0x0303, gcm, &key16, &salt, &[], false).expect("gcm");
        run(
            c,
            "aes128gcm_tls12",
            size,
            d,
            &gcm12_records(&key16, &salt, size),
        );
        let d = RecordDecryptor::new(0x0303, cbc, &key16, &[], &mac_key, false).expect("cbc");
        run(
            c,
            "aes128cbc_sha1_tls12",
            size,
            d,
            &cbc_sha_records(&key16, &mac_key, size),
        );
    }
    let d = RecordDecryptor::new(0x0303, chacha, &key32, &iv12, &[], false).expect("chacha");
    run(
        c,
        "chacha20poly1305_tls12",
        1024,
        d,
        &chacha12_records(&key32, &iv12, 1024),
    );
    let d = RecordDecryptor::new(0x0304, gcm13, &key16, &iv12, &[], false).expect("gcm13");
    run(
        c,
        "aes128gcm_tls13",
        1024,
        d,
        &gcm13_records(&key16, &iv12, 1024),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
