//! Request and answer bodies as a journal stores them, whatever the backend: packed with raw
//! deflate primed by a dictionary of the envelopes' field names and fixed values, which takes
//! a 5.30 request or answer (200-300 bytes of JSON) to about a third. Deflate alone gains
//! little on so small a text: most of it is field names it has not yet seen.
//!
//! A packed body starts with one byte saying how the rest is kept, so that a later dictionary
//! can be added without rewriting the records: [`RAW`] (kept as is, when packing would not make
//! it smaller) or [`DEFLATE_V1`].

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The body follows as it was.
const RAW: u8 = 0;
/// Raw deflate (no zlib header or checksum) with [`DICTIONARY_V1`].
const DEFLATE_V1: u8 = 1;

/// What a 5.30 request and its answer are made of, the commonest last (deflate reaches back
/// to the nearest copy more cheaply). Never change it: stored bodies need it to be read back;
/// a better one is a new tag.
const DICTIONARY_V1: &[u8] = r#"<html><head><title>Error</title></head><body></body></html>"error":"message":"status":"Internal Server Error""Bad Gateway","installmentList":[{"payNo":1,"amount":,"refundTime":"2026-","secondRefundStatus":1,"secondRefundAmount":,"secondRefundDate":"2026-{"head":{"policySource":"","respTime":1,"interfaceType":"recissionNotice","orderNo":"QS","uuid":"-4"},"secondRefundResp":{"dealCode":"0","dealDesc":"","policyNo":""}}{"head":{"policySource":"","reqTime":"2026-","interfaceType":"recissionNotice","orderNo":"QS","uuid":"-4"},"secondRefundReq":{"policyNo":""}}"secondRefundResp":{"dealCode":"1","dealDesc":"成功","policyNo":""#.as_bytes();

/// A stored body that cannot be unpacked: written by a newer version, or damaged.
#[derive(Debug, thiserror::Error)]
#[error("a stored body cannot be read ({0}); it was written by a newer avatar-cli, or is damaged")]
pub struct Unreadable(String);

/// `body`, packed for storage.
pub fn pack(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() / 2 + 16);
    out.push(DEFLATE_V1);
    if deflate(body, &mut out).is_none() || out.len() > body.len() {
        out.clear();
        out.push(RAW);
        out.extend_from_slice(body);
    }
    out
}

/// The body [`pack`] packed, byte for byte.
pub fn unpack(stored: &[u8]) -> Result<Vec<u8>, Unreadable> {
    match stored.split_first() {
        Some((&RAW, body)) => Ok(body.to_vec()),
        Some((&DEFLATE_V1, packed)) => inflate(packed),
        Some((tag, _)) => Err(Unreadable(format!("unknown packing {tag}"))),
        None => Err(Unreadable("it is empty".into())),
    }
}

fn deflate(body: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let mut c = Compress::new(Compression::best(), false);
    c.set_dictionary(DICTIONARY_V1).ok()?;
    loop {
        out.reserve(64);
        let before = c.total_in();
        let done = c
            .compress_vec(&body[before as usize..], out, FlushCompress::Finish)
            .ok()?;
        if done == Status::StreamEnd {
            return Some(());
        }
    }
}

fn inflate(packed: &[u8]) -> Result<Vec<u8>, Unreadable> {
    let fail = |e: flate2::DecompressError| Unreadable(e.to_string());
    let mut d = Decompress::new(false);
    d.set_dictionary(DICTIONARY_V1).map_err(fail)?;
    let mut out = Vec::with_capacity(packed.len() * 3 + 64);
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

    #[test]
    fn a_request_packs_to_under_half_and_back_exactly() {
        let packed = pack(REQUEST.as_bytes());
        assert!(packed.len() * 2 < REQUEST.len(), "{} bytes", packed.len());
        assert_eq!(unpack(&packed).unwrap(), REQUEST.as_bytes());
    }

    #[test]
    fn what_would_grow_is_kept_as_is() {
        for body in [&b""[..], b"x", &[0xFF, 0x00, 0x80]] {
            let packed = pack(body);
            assert_eq!(packed[0], RAW);
            assert_eq!(unpack(&packed).unwrap(), body);
        }
    }

    #[test]
    fn damage_and_unknown_packings_are_errors_not_panics() {
        let mut packed = pack(REQUEST.as_bytes());
        packed.truncate(packed.len() / 2);
        assert!(unpack(&packed).is_err());
        assert!(unpack(&[9, 1, 2]).is_err());
        assert!(unpack(&[]).is_err());
    }

    proptest! {
        #[test]
        fn any_bytes_come_back_exactly(body in proptest::collection::vec(any::<u8>(), 0..2000)) {
            prop_assert_eq!(unpack(&pack(&body)).unwrap(), body);
        }

        #[test]
        fn unpacking_any_bytes_never_panics(stored in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = unpack(&stored);
        }
    }
}
