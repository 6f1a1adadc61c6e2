//! Request and answer bodies as a journal stores them, whatever the backend: packed with raw
//! deflate primed by a dictionary of the envelopes' field names and fixed values, followed by
//! what the journal keeps beside the body anyway (the attempt's uuid, reqTime and orderNo;
//! for an answer, its request too, whose values it echoes). A 5.30 request (about 250 bytes of
//! JSON) packs to about 50, its answer to about 30. Deflate alone gains little on so small a
//! text: most of it is field names and values it has not yet seen.
//!
//! `known` must be the same, in the same order, when a body is unpacked as when it was packed.
//!
//! A packed body starts with one byte saying how the rest is kept, so that a later dictionary
//! can be added without rewriting the records: [`RAW`] (kept as is, when packing would not make
//! it smaller) or [`DEFLATE_V1`].

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The body follows as it was.
const RAW: u8 = 0;
/// Raw deflate (no zlib header or checksum) with [`DICTIONARY_V1`] and the known values.
const DEFLATE_V1: u8 = 1;
/// How much of the dictionary deflate can reach back to (its window, 32 KiB, less a margin):
/// of a longer one, both sides use the end.
const DICTIONARY_MAX: usize = 30 * 1024;

/// What a 5.30 request and its answer are made of, the commonest last (deflate reaches back
/// to the nearest copy more cheaply). Never change it: stored bodies need it to be read back;
/// a better one is a new tag.
const DICTIONARY_V1: &[u8] = r#"<html><head><title>Error</title></head><body></body></html>"error":"message":"status":"Internal Server Error""Bad Gateway","installmentList":[{"payNo":1,"amount":,"refundTime":"2026-","secondRefundStatus":1,"secondRefundAmount":,"secondRefundDate":"2026-{"head":{"policySource":"","respTime":1,"interfaceType":"recissionNotice","orderNo":"QS","uuid":"-4"},"secondRefundResp":{"dealCode":"0","dealDesc":"","policyNo":""}}{"head":{"policySource":"","reqTime":"2026-","interfaceType":"recissionNotice","orderNo":"QS","uuid":"-4"},"secondRefundReq":{"policyNo":""}}"secondRefundResp":{"dealCode":"1","dealDesc":"成功","policyNo":""#.as_bytes();

/// A stored body that cannot be unpacked: written by a newer version, or damaged.
#[derive(Debug, thiserror::Error)]
#[error("a stored body cannot be read ({0}); it was written by a newer avatar-cli, or is damaged")]
pub struct Unreadable(String);

/// `body`, packed for storage, with `known` the values kept beside it.
pub fn pack(body: &[u8], known: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() / 2 + 16);
    out.push(DEFLATE_V1);
    if deflate(body, &dictionary(known), &mut out).is_none() || out.len() > body.len() {
        return pack_raw(body);
    }
    out
}

/// `body`, kept as it is: for bodies stored before packing, whose known values are not told.
pub fn pack_raw(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 1);
    out.push(RAW);
    out.extend_from_slice(body);
    out
}

/// The body [`pack`] packed with the same `known`, byte for byte.
pub fn unpack(stored: &[u8], known: &[&[u8]]) -> Result<Vec<u8>, Unreadable> {
    match stored.split_first() {
        Some((&RAW, body)) => Ok(body.to_vec()),
        Some((&DEFLATE_V1, packed)) => inflate(packed, &dictionary(known)),
        Some((tag, _)) => Err(Unreadable(format!("unknown packing {tag}"))),
        None => Err(Unreadable("it is empty".into())),
    }
}

fn dictionary(known: &[&[u8]]) -> Vec<u8> {
    let mut dictionary = DICTIONARY_V1.to_vec();
    for value in known {
        dictionary.extend_from_slice(value);
    }
    let cut = dictionary.len().saturating_sub(DICTIONARY_MAX);
    dictionary.split_off(cut)
}

thread_local! {
    /// A compressor per thread, reset between bodies: making one allocates its whole window
    /// and tables, which would cost the journal's writer more than packing a body does. Level
    /// 1: on these bodies it packs a request and its answer in 8 µs where level 9 takes 17
    /// (release build), for 4 bytes more, and the writer does it for every notice.
    static COMPRESS: std::cell::RefCell<Option<Compress>> = const { std::cell::RefCell::new(None) };
}

fn deflate(body: &[u8], dictionary: &[u8], out: &mut Vec<u8>) -> Option<()> {
    COMPRESS.with_borrow_mut(|kept| {
        let c = kept.get_or_insert_with(|| Compress::new(Compression::fast(), false));
        c.reset();
        c.set_dictionary(dictionary).ok()?;
        let start = c.total_in();
        loop {
            out.reserve(64);
            let read = (c.total_in() - start) as usize;
            let done = c
                .compress_vec(&body[read..], out, FlushCompress::Finish)
                .ok()?;
            if done == Status::StreamEnd {
                return Some(());
            }
        }
    })
}

fn inflate(packed: &[u8], dictionary: &[u8]) -> Result<Vec<u8>, Unreadable> {
    let fail = |e: flate2::DecompressError| Unreadable(e.to_string());
    let mut d = Decompress::new(false);
    d.set_dictionary(dictionary).map_err(fail)?;
    let mut out = Vec::with_capacity(packed.len() * 4 + 64);
    loop {
        out.reserve(256);
        let read = d.total_in() as usize;
        let before = (d.total_in(), d.total_out());
        let status = d
            .decompress_vec(&packed[read..], &mut out, FlushDecompress::Finish)
            .map_err(fail)?;
        if status == Status::StreamEnd {
            return Ok(out);
        }
        if (d.total_in(), d.total_out()) == before {
            return Err(Unreadable("it is cut short".into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const REQUEST: &str = r#"{"head":{"policySource":"HN_HT_QNW","reqTime":"2026-12-02 10:11:12","interfaceType":"recissionNotice","orderNo":"QS261202101112345AB12CD","uuid":"f9b37f93-ecd7-4cdc-a8e2-728374f837de"},"secondRefundReq":{"policyNo":"P2024000001","secondRefundAmount":10.2}}"#;

    const ANSWER: &str = r#"{"head":{"policySource":"HN_HT_QNW","respTime":1796205639419,"interfaceType":"recissionNotice","orderNo":"QS261202101112345AB12CD","uuid":"f9b37f93-ecd7-4cdc-a8e2-728374f837de"},"secondRefundResp":{"dealCode":"1","dealDesc":"成功","policyNo":"P2024000001"}}"#;
    const KNOWN: [&[u8]; 3] = [
        b"f9b37f93-ecd7-4cdc-a8e2-728374f837de",
        b"2026-12-02 10:11:12",
        b"QS261202101112345AB12CD",
    ];

    #[test]
    fn a_request_and_its_answer_pack_small_and_come_back_exactly() {
        let request = pack(REQUEST.as_bytes(), &KNOWN);
        assert!(request.len() < 60, "{} bytes", request.len());
        assert_eq!(unpack(&request, &KNOWN).unwrap(), REQUEST.as_bytes());
        let with_request = [KNOWN[0], KNOWN[1], KNOWN[2], REQUEST.as_bytes()];
        let answer = pack(ANSWER.as_bytes(), &with_request);
        assert!(answer.len() < 45, "{} bytes", answer.len());
        assert_eq!(unpack(&answer, &with_request).unwrap(), ANSWER.as_bytes());
        // Without what it was packed with, it does not come back as it was.
        assert_ne!(
            unpack(&answer, &KNOWN).ok().as_deref(),
            Some(ANSWER.as_bytes())
        );
    }

    #[test]
    fn what_would_grow_is_kept_as_is() {
        for body in [&b""[..], b"x", &[0xFF, 0x00, 0x80]] {
            let packed = pack(body, &KNOWN);
            assert_eq!(packed[0], RAW);
            assert_eq!(unpack(&packed, &[]).unwrap(), body);
        }
    }

    #[test]
    fn damage_and_unknown_packings_are_errors_not_panics() {
        let mut packed = pack(REQUEST.as_bytes(), &KNOWN);
        packed.truncate(packed.len() / 2);
        assert!(unpack(&packed, &KNOWN).is_err());
        assert!(unpack(&[9, 1, 2], &KNOWN).is_err());
        assert!(unpack(&[], &KNOWN).is_err());
    }

    proptest! {
        #[test]
        fn any_bytes_come_back_exactly(
            body in proptest::collection::vec(any::<u8>(), 0..2000),
            known in proptest::collection::vec(any::<u8>(), 0..40_000),
        ) {
            let known = [&known[..], b"and more"];
            prop_assert_eq!(unpack(&pack(&body, &known), &known).unwrap(), body);
        }

        #[test]
        fn unpacking_any_bytes_never_panics(stored in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = unpack(&stored, &KNOWN);
        }
    }
}
