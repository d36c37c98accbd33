/**
 * The .proto files Confluent's Protobuf serdes know without a schema reference ("built-in dependencies"): the ones
 * Connect schemas map to (Decimal, Date, Time, Timestamp, wrappers, the `confluent.field_meta` option), and
 * google/protobuf's well-known types that protobufjs ships. A schema importing any of these needs no reference.
 *
 * `confluent/meta.proto` is kept without its `extend google.protobuf.*Options` blocks: protobufjs keeps a field's
 * `(confluent.field_meta)` option as parsed text either way, and the extensions would need descriptor.proto.
 */
import protobuf from 'protobufjs'

const TEXTS: Readonly<Record<string, string>> = {
  'confluent/meta.proto': `syntax = "proto3";
package confluent;

message Meta {
  string doc = 1;
  map<string, string> params = 2;
  repeated string tags = 3;
  repeated Rule rules = 4;
}
message Rule {
  string name = 1;
  string doc = 2;
  string expr = 3;
  string sql = 4;
}
`,
  'confluent/type/decimal.proto': `syntax = "proto3";
package confluent.type;

option java_package = "io.confluent.protobuf.type";
option java_multiple_files = true;
option java_outer_classname = "DecimalProto";

message Decimal {
  bytes value = 1;
  uint32 precision = 2;
  int32 scale = 3;
}
`,
  'google/type/date.proto': `syntax = "proto3";
package google.type;

option cc_enable_arenas = true;
option go_package = "google.golang.org/genproto/googleapis/type/date;date";
option java_multiple_files = true;
option java_outer_classname = "DateProto";
option java_package = "com.google.type";
option objc_class_prefix = "GTP";

message Date {
  int32 year = 1;
  int32 month = 2;
  int32 day = 3;
}
`,
  'google/type/timeofday.proto': `syntax = "proto3";
package google.type;

option cc_enable_arenas = true;
option go_package = "google.golang.org/genproto/googleapis/type/timeofday;timeofday";
option java_multiple_files = true;
option java_outer_classname = "TimeOfDayProto";
option java_package = "com.google.type";
option objc_class_prefix = "GTP";

message TimeOfDay {
  int32 hours = 1;
  int32 minutes = 2;
  int32 seconds = 3;
  int32 nanos = 4;
}
`,
  'google/protobuf/timestamp.proto': `syntax = "proto3";
package google.protobuf;

option cc_enable_arenas = true;
option go_package = "google.golang.org/protobuf/types/known/timestamppb";
option java_package = "com.google.protobuf";
option java_outer_classname = "TimestampProto";
option java_multiple_files = true;
option objc_class_prefix = "GPB";
option csharp_namespace = "Google.Protobuf.WellKnownTypes";

message Timestamp {
  int64 seconds = 1;
  int32 nanos = 2;
}
`,
  'google/protobuf/wrappers.proto': `syntax = "proto3";
package google.protobuf;

option cc_enable_arenas = true;
option go_package = "google.golang.org/protobuf/types/known/wrapperspb";
option java_package = "com.google.protobuf";
option java_outer_classname = "WrappersProto";
option java_multiple_files = true;
option objc_class_prefix = "GPB";
option csharp_namespace = "Google.Protobuf.WellKnownTypes";

message DoubleValue {
  double value = 1;
}
message FloatValue {
  float value = 1;
}
message Int64Value {
  int64 value = 1;
}
message UInt64Value {
  uint64 value = 1;
}
message Int32Value {
  int32 value = 1;
}
message UInt32Value {
  uint32 value = 1;
}
message BoolValue {
  bool value = 1;
}
message StringValue {
  string value = 1;
}
message BytesValue {
  bytes value = 1;
}
`,
}

/** The text of a built-in .proto file Ferry writes schemas against, or undefined. */
export function wellKnownText(name: string): string | undefined {
  return Object.hasOwn(TEXTS, name) ? TEXTS[name] : undefined
}

/**
 * Loads built-in file `name` into `root`: true when it is one (Ferry's texts, else protobufjs's bundled
 * google/protobuf files), false when it is not built in.
 */
export function loadWellKnown(root: protobuf.Root, name: string): boolean {
  const text = wellKnownText(name)
  if (text !== undefined) {
    protobuf.parse(text, root, { keepCase: true })
    return true
  }
  if (name.startsWith('google/protobuf/')) {
    const json = (protobuf.common as unknown as { get(file: string): protobuf.INamespace | null }).get(name)
    if (json !== null && json !== undefined) {
      root.addJSON(json.nested ?? {})
      return true
    }
  }
  return false
}
