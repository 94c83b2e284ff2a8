// MediaInfo <-> JSON (nlohmann), the asset metadata format and the CLI's --json output.
// Shape: {"path","kind","container","container_long","mime","duration_ms","bit_rate","size_bytes",
// "width","height","sample_rate_hz","channels","streams":[{"index","type","codec","codec_long",
// "width","height","fps","rotation_deg","sample_rate_hz","channels","channel_layout",
// "duration_ms","bit_rate","language","attached_picture"}]}. Strings from files may hold invalid
// UTF-8: it is replaced (U+FFFD) on output. Parsing never throws. Thread-safety: pure functions.
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "media/probe.h"

namespace atelier::media {
namespace {

using nlohmann::json;

std::optional<MediaKind> kind_from_name(std::string_view s) {
    for (MediaKind k : {MediaKind::Image, MediaKind::Audio, MediaKind::Video, MediaKind::Other, MediaKind::Invalid}) {
        if (s == media_kind_name(k)) return k;
    }
    return std::nullopt;
}

std::optional<StreamType> type_from_name(std::string_view s) {
    for (StreamType t : {StreamType::Video, StreamType::Audio, StreamType::Subtitle, StreamType::Data,
                         StreamType::Attachment, StreamType::Invalid}) {
        if (s == stream_type_name(t)) return t;
    }
    return std::nullopt;
}

json stream_to_json(const StreamInfo& s) {
    return json{{"index", s.index},
                {"type", stream_type_name(s.type)},
                {"codec", s.codec},
                {"codec_long", s.codec_long},
                {"width", s.width},
                {"height", s.height},
                {"fps", s.fps},
                {"rotation_deg", s.rotation_deg},
                {"sample_rate_hz", s.sample_rate_hz},
                {"channels", s.channels},
                {"channel_layout", s.channel_layout},
                {"duration_ms", s.duration_ms},
                {"bit_rate", s.bit_rate},
                {"language", s.language},
                {"attached_picture", s.attached_picture}};
}

// Typed field readers: absent keys keep the default; a wrong type or range is an error.
class Reader {
public:
    explicit Reader(const json& obj) : obj_(obj) {}
    std::string error;  // empty while all fields were fine

    void str(const char* key, std::string& out) {
        if (const json* v = find(key)) {
            if (v->is_string()) out = v->get_ref<const std::string&>();
            else fail(key, "a string");
        }
    }
    void i64(const char* key, int64_t& out) {
        if (const json* v = find(key)) {
            if (v->is_number_integer() && !(v->is_number_unsigned() && v->get<uint64_t>() > uint64_t{INT64_MAX})) out = v->get<int64_t>();
            else fail(key, "an integer");
        }
    }
    void i32(const char* key, int& out) {
        int64_t wide = out;
        i64(key, wide);
        if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max()) fail(key, "a 32-bit integer");
        else out = static_cast<int>(wide);
    }
    void f64(const char* key, double& out) {
        if (const json* v = find(key)) {
            if (v->is_number() && std::isfinite(v->get<double>())) out = v->get<double>();
            else fail(key, "a finite number");
        }
    }
    void boolean(const char* key, bool& out) {
        if (const json* v = find(key)) {
            if (v->is_boolean()) out = v->get<bool>();
            else fail(key, "true or false");
        }
    }
    const json* find(const char* key) const {
        auto it = obj_.find(key);
        return it == obj_.end() || it->is_null() ? nullptr : &*it;
    }
    void fail(const char* key, const char* what) {
        if (error.empty()) error = std::string("field '") + key + "' must be " + what;
    }

private:
    const json& obj_;
};

std::string stream_from_json(const json& j, StreamInfo& s) {
    if (!j.is_object()) return "each stream must be an object";
    Reader r(j);
    r.i32("index", s.index);
    std::string type = stream_type_name(s.type);
    r.str("type", type);
    if (auto t = type_from_name(type)) s.type = *t;
    else r.fail("type", "a stream type name");
    r.str("codec", s.codec);
    r.str("codec_long", s.codec_long);
    r.i32("width", s.width);
    r.i32("height", s.height);
    r.f64("fps", s.fps);
    r.i32("rotation_deg", s.rotation_deg);
    r.i32("sample_rate_hz", s.sample_rate_hz);
    r.i32("channels", s.channels);
    r.str("channel_layout", s.channel_layout);
    r.i64("duration_ms", s.duration_ms);
    r.i64("bit_rate", s.bit_rate);
    r.str("language", s.language);
    r.boolean("attached_picture", s.attached_picture);
    return r.error;
}

Result<MediaInfo> from_json_impl(std::string_view text) {
    json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
        return make_error(ErrorCode::InvalidArgument, "media info: not a JSON object", "the stored metadata is damaged; re-import the file");
    }
    MediaInfo info;
    Reader r(j);
    std::string path, kind = media_kind_name(info.kind);
    r.str("path", path);
    info.path = path;
    r.str("kind", kind);
    if (auto k = kind_from_name(kind)) info.kind = *k;
    else r.fail("kind", "a media kind name");
    r.str("container", info.container);
    r.str("container_long", info.container_long);
    r.str("mime", info.mime);
    r.i64("duration_ms", info.duration_ms);
    r.i64("bit_rate", info.bit_rate);
    r.i64("size_bytes", info.size_bytes);
    r.i32("width", info.width);
    r.i32("height", info.height);
    r.i32("sample_rate_hz", info.sample_rate_hz);
    r.i32("channels", info.channels);
    if (const json* streams = r.find("streams")) {
        if (!streams->is_array()) r.fail("streams", "an array");
        for (size_t i = 0; r.error.empty() && streams->is_array() && i < streams->size(); ++i) {
            StreamInfo s;
            r.error = stream_from_json((*streams)[i], s);
            info.streams.push_back(std::move(s));
        }
    }
    if (!r.error.empty()) {
        return make_error(ErrorCode::InvalidArgument, "media info: " + r.error, "the stored metadata is damaged; re-import the file");
    }
    return info;
}

}  // namespace

std::string MediaInfo::to_json() const {
    json streams_json = json::array();
    for (const StreamInfo& s : streams) streams_json.push_back(stream_to_json(s));
    json j{{"path", path.string()},
           {"kind", media_kind_name(kind)},
           {"container", container},
           {"container_long", container_long},
           {"mime", mime},
           {"duration_ms", duration_ms},
           {"bit_rate", bit_rate},
           {"size_bytes", size_bytes},
           {"width", width},
           {"height", height},
           {"sample_rate_hz", sample_rate_hz},
           {"channels", channels},
           {"streams", std::move(streams_json)}};
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<MediaInfo> media_info_from_json(std::string_view json_text) {
    try {
        return from_json_impl(json_text);
    } catch (const std::exception& e) {  // bad_alloc, or a nlohmann type error we failed to foresee
        return make_error(ErrorCode::InvalidArgument, std::string("media info: ") + e.what(),
                          "the stored metadata is damaged; re-import the file");
    }
}

}  // namespace atelier::media
