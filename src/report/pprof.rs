//! `allocs.pb.gz`: the run's allocations as a Go heap profile, in pprof's format
//! (github.com/google/pprof proto/profile.proto, gzipped), so that `go tool pprof` reads it
//! as it reads a real program's `allocs` profile: the four sample types of
//! runtime/pprof's heap profile (alloc_objects, alloc_space, inuse_objects, inuse_space),
//! `alloc_space` shown by default, stacks from the goroutine through the scenario op to the
//! runtime function that allocated.

use std::collections::HashMap;
use std::io::Write;

use prost::Message;

use crate::engine::profile::ProfileSample;

/// profile.proto: Profile (the fields a heap profile uses).
#[derive(Clone, PartialEq, Message)]
struct Profile {
    #[prost(message, repeated, tag = "1")]
    sample_type: Vec<ValueType>,
    #[prost(message, repeated, tag = "2")]
    sample: Vec<Sample>,
    #[prost(message, repeated, tag = "3")]
    mapping: Vec<Mapping>,
    #[prost(message, repeated, tag = "4")]
    location: Vec<Location>,
    #[prost(message, repeated, tag = "5")]
    function: Vec<Function>,
    #[prost(string, repeated, tag = "6")]
    string_table: Vec<String>,
    #[prost(int64, tag = "10")]
    duration_nanos: i64,
    #[prost(message, optional, tag = "11")]
    period_type: Option<ValueType>,
    #[prost(int64, tag = "12")]
    period: i64,
    #[prost(int64, tag = "14")]
    default_sample_type: i64,
}

/// profile.proto: ValueType.
#[derive(Clone, PartialEq, Message)]
struct ValueType {
    #[prost(int64, tag = "1")]
    r#type: i64,
    #[prost(int64, tag = "2")]
    unit: i64,
}

/// profile.proto: Sample — locations leaf first.
#[derive(Clone, PartialEq, Message)]
struct Sample {
    #[prost(uint64, repeated, tag = "1")]
    location_id: Vec<u64>,
    #[prost(int64, repeated, tag = "2")]
    value: Vec<i64>,
}

/// profile.proto: Mapping.
#[derive(Clone, PartialEq, Message)]
struct Mapping {
    #[prost(uint64, tag = "1")]
    id: u64,
    #[prost(uint64, tag = "2")]
    memory_start: u64,
    #[prost(uint64, tag = "3")]
    memory_limit: u64,
    #[prost(int64, tag = "5")]
    filename: i64,
    #[prost(bool, tag = "7")]
    has_functions: bool,
}

/// profile.proto: Location.
#[derive(Clone, PartialEq, Message)]
struct Location {
    #[prost(uint64, tag = "1")]
    id: u64,
    #[prost(uint64, tag = "2")]
    mapping_id: u64,
    #[prost(uint64, tag = "3")]
    address: u64,
    #[prost(message, repeated, tag = "4")]
    line: Vec<Line>,
}

/// profile.proto: Line.
#[derive(Clone, PartialEq, Message)]
struct Line {
    #[prost(uint64, tag = "1")]
    function_id: u64,
    #[prost(int64, tag = "2")]
    line: i64,
}

/// profile.proto: Function.
#[derive(Clone, PartialEq, Message)]
struct Function {
    #[prost(uint64, tag = "1")]
    id: u64,
    #[prost(int64, tag = "2")]
    name: i64,
    #[prost(int64, tag = "3")]
    system_name: i64,
    #[prost(int64, tag = "4")]
    filename: i64,
}

/// runtime.MemProfileRate's default, the `period` Go writes into heap profiles. The
/// simulated profile counts every allocation: its values need no scaling.
const MEM_PROFILE_RATE: i64 = 512 * 1024;

/// Interns strings into the profile's string table (index 0 is "").
#[derive(Default)]
struct Strings {
    table: Vec<String>,
    index: HashMap<String, i64>,
}

impl Strings {
    fn new() -> Self {
        let mut s = Strings::default();
        s.id("");
        s
    }

    fn id(&mut self, s: &str) -> i64 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.table.len() as i64;
        self.table.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
}

/// The gzipped profile of `samples` for a run of `duration_ns`, `file` naming the
/// scenario (the file of the goroutine and op frames).
pub fn allocs_pb_gz(samples: &[ProfileSample], duration_ns: u64, file: &str) -> Vec<u8> {
    let mut strings = Strings::new();
    let count = strings.id("count");
    let bytes = strings.id("bytes");
    let vt = |t: i64, u: i64| ValueType { r#type: t, unit: u };
    let sample_type = vec![
        vt(strings.id("alloc_objects"), count),
        vt(strings.id("alloc_space"), bytes),
        vt(strings.id("inuse_objects"), count),
        vt(strings.id("inuse_space"), bytes),
    ];
    let period_type = Some(vt(strings.id("space"), bytes));
    let default_sample_type = strings.id("alloc_space");
    let scenario_file = strings.id(file);
    let mut functions: Vec<Function> = Vec::new();
    let mut by_name: HashMap<String, u64> = HashMap::new();
    let mut sample = Vec::with_capacity(samples.len());
    for s in samples {
        let mut location_id = Vec::with_capacity(s.frames.len());
        for f in s.frames.iter().rev() {
            let id = match by_name.get(f) {
                Some(&id) => id,
                None => {
                    let id = functions.len() as u64 + 1;
                    let name = strings.id(f);
                    let runtime = f.starts_with("runtime.") || f.starts_with("internal/");
                    functions.push(Function {
                        id,
                        name,
                        system_name: name,
                        filename: if runtime { 0 } else { scenario_file },
                    });
                    by_name.insert(f.clone(), id);
                    id
                }
            };
            location_id.push(id);
        }
        let v = |x: u64| i64::try_from(x).unwrap_or(i64::MAX);
        sample.push(Sample {
            location_id,
            value: vec![
                v(s.alloc.objects),
                v(s.alloc.bytes),
                v(s.inuse.objects),
                v(s.inuse.bytes),
            ],
        });
    }
    // One location per function, at a made-up address of its own.
    let location = functions
        .iter()
        .map(|f| Location {
            id: f.id,
            mapping_id: 1,
            address: 0x1000 + f.id * 0x10,
            line: vec![Line {
                function_id: f.id,
                line: 0,
            }],
        })
        .collect();
    let mapping = vec![Mapping {
        id: 1,
        memory_start: 0x1000,
        memory_limit: 0x1000 + (functions.len() as u64 + 1) * 0x10,
        filename: scenario_file,
        has_functions: true,
    }];
    let profile = Profile {
        sample_type,
        sample,
        mapping,
        location,
        function: functions,
        string_table: strings.table,
        duration_nanos: i64::try_from(duration_ns).unwrap_or(i64::MAX),
        period_type,
        period: MEM_PROFILE_RATE,
        default_sample_type,
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&profile.encode_to_vec())
        .and_then(|()| gz.finish())
        .expect("writing into memory does not fail")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::profile::Count;
    use std::io::Read;

    #[test]
    fn encodes_go_heap_sample_types_and_leaf_first_stacks() {
        let s = vec![ProfileSample {
            frames: vec![
                "main".into(),
                "program[0] alloc".into(),
                "runtime.mallocgc".into(),
            ],
            alloc: Count {
                bytes: 4096,
                objects: 1,
            },
            inuse: Count::default(),
        }];
        let gz = allocs_pb_gz(&s, 1_000, "t.toml");
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(gz.as_slice())
            .read_to_end(&mut raw)
            .unwrap();
        let p = Profile::decode(raw.as_slice()).unwrap();
        let name = |i: i64| p.string_table[i as usize].as_str();
        let types: Vec<_> = p.sample_type.iter().map(|t| name(t.r#type)).collect();
        assert_eq!(
            types,
            [
                "alloc_objects",
                "alloc_space",
                "inuse_objects",
                "inuse_space"
            ]
        );
        assert_eq!(name(p.default_sample_type), "alloc_space");
        assert_eq!(p.sample[0].value, [1, 4096, 0, 0]);
        let leaf = p.sample[0].location_id[0];
        assert_eq!(name(p.function[leaf as usize - 1].name), "runtime.mallocgc");
    }
}
