// probe_file: what a media file holds, read with libavformat (bounded probing, see ffmpeg-util).
// Stream facts come from the codec parameters and stream metadata after avformat_find_stream_info;
// the kind (image/audio/video) from the demuxer and the streams. Thread-safety: reentrant.
#include "media/probe.h"

#include <cmath>
#include <cstring>
#include <new>
#include <string_view>
#include <system_error>

extern "C" {
#include <libavutil/channel_layout.h>
}

#include "media/ffmpeg-util.h"

namespace atelier::media {

const char* media_kind_name(MediaKind kind) {
    switch (kind) {
        case MediaKind::Image: return "image";
        case MediaKind::Audio: return "audio";
        case MediaKind::Video: return "video";
        case MediaKind::Other: return "other";
        case MediaKind::Invalid: break;
    }
    return "invalid";
}

const char* stream_type_name(StreamType type) {
    switch (type) {
        case StreamType::Video: return "video";
        case StreamType::Audio: return "audio";
        case StreamType::Subtitle: return "subtitle";
        case StreamType::Data: return "data";
        case StreamType::Attachment: return "attachment";
        case StreamType::Invalid: break;
    }
    return "invalid";
}

namespace {

StreamType stream_type_of(AVMediaType t) {
    switch (t) {
        case AVMEDIA_TYPE_VIDEO: return StreamType::Video;
        case AVMEDIA_TYPE_AUDIO: return StreamType::Audio;
        case AVMEDIA_TYPE_SUBTITLE: return StreamType::Subtitle;
        case AVMEDIA_TYPE_DATA: return StreamType::Data;
        case AVMEDIA_TYPE_ATTACHMENT: return StreamType::Attachment;
        default: return StreamType::Invalid;
    }
}

double frame_rate(const AVStream* st) {
    const AVRational r = st->avg_frame_rate;  // what ffprobe calls avg_frame_rate; 0/0 when unknown
    if (r.num <= 0 || r.den <= 0) return 0.0;
    double fps = av_q2d(r);
    return std::isfinite(fps) ? fps : 0.0;
}

StreamInfo stream_info(const AVStream* st) {
    const AVCodecParameters* par = st->codecpar;
    StreamInfo s;
    s.index = st->index;
    s.type = stream_type_of(par->codec_type);
    s.codec = avcodec_get_name(par->codec_id);
    if (const AVCodecDescriptor* d = avcodec_descriptor_get(par->codec_id); d && d->long_name) s.codec_long = d->long_name;
    s.bit_rate = par->bit_rate > 0 ? par->bit_rate : 0;
    s.duration_ms = ff::to_ms(st->duration, st->time_base);
    s.attached_picture = (st->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0;
    if (const AVDictionaryEntry* e = av_dict_get(st->metadata, "language", nullptr, 0); e && e->value) s.language = e->value;
    if (s.type == StreamType::Video) {
        s.width = std::max(par->width, 0);
        s.height = std::max(par->height, 0);
        s.fps = s.attached_picture ? 0.0 : frame_rate(st);
        s.rotation_deg = ff::stream_rotation_deg(st);
    } else if (s.type == StreamType::Audio) {
        s.sample_rate_hz = std::max(par->sample_rate, 0);
        s.channels = std::max(par->ch_layout.nb_channels, 0);
        char layout[128] = {};
        if (s.channels > 0 && av_channel_layout_describe(&par->ch_layout, layout, sizeof layout) > 0) s.channel_layout = layout;
    }
    return s;
}

MediaKind kind_of(const AVFormatContext* fc, const std::vector<StreamInfo>& streams) {
    bool video = false, picture = false, audio = false;
    for (const StreamInfo& s : streams) {
        if (s.type == StreamType::Audio) audio = true;
        if (s.type == StreamType::Video) (s.attached_picture ? picture : video) = true;
    }
    if (video && ff::is_image_demuxer(fc->iformat->name)) return MediaKind::Image;
    if (video) return MediaKind::Video;
    if (audio) return MediaKind::Audio;
    if (picture) return MediaKind::Image;
    return MediaKind::Invalid;
}

std::string guess_mime(const AVFormatContext* fc, MediaKind kind, const StreamInfo* main_video) {
    const std::string_view name = fc->iformat->name;
    if (kind == MediaKind::Image && main_video) {
        const std::string& c = main_video->codec;
        if (c == "mjpeg") return "image/jpeg";
        if (c == "png" || c == "apng") return c == "png" ? "image/png" : "image/apng";
        if (c == "webp" || c == "gif" || c == "bmp" || c == "tiff") return "image/" + c;
    }
    struct Entry { std::string_view demuxer, audio, video; };
    static const Entry kTable[] = {
        {"mov,mp4,m4a,3gp,3g2,mj2", "audio/mp4", "video/mp4"},
        {"matroska,webm", "audio/webm", "video/webm"},  // refined below for non-WebM codecs
        {"ogg", "audio/ogg", "video/ogg"},
        {"wav", "audio/wav", ""},
        {"mp3", "audio/mpeg", ""},
        {"flac", "audio/flac", ""},
        {"aac", "audio/aac", ""},
        {"avi", "", "video/x-msvideo"},
        {"mpegts", "", "video/mp2t"},
    };
    for (const Entry& e : kTable) {
        if (name != e.demuxer) continue;
        std::string mime(kind == MediaKind::Video ? e.video : e.audio);
        if (e.demuxer == "matroska,webm" && main_video) {
            const std::string& c = main_video->codec;
            if (c != "vp8" && c != "vp9" && c != "av1") mime = "video/x-matroska";
        }
        return mime;
    }
    if (fc->iformat->mime_type) {
        std::string_view m = fc->iformat->mime_type;
        return std::string(m.substr(0, m.find(',')));
    }
    return {};
}

Result<MediaInfo> probe_impl(const std::filesystem::path& path) {
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) {
        return make_error(ErrorCode::NotFound, path.string() + ": no such file", "check the path");
    }
    if (std::filesystem::is_directory(status)) {
        return make_error(ErrorCode::MediaOpenFailed, path.string() + ": is a folder, not a media file", "choose a file inside it");
    }
    ATELIER_TRY_ASSIGN(ff::InputPtr in, ff::open_input_file(path));
    const AVFormatContext* fc = in->fmt();
    MediaInfo info;
    info.path = path;
    info.container = fc->iformat->name;
    if (fc->iformat->long_name) info.container_long = fc->iformat->long_name;
    info.bit_rate = fc->bit_rate > 0 ? fc->bit_rate : 0;
    auto size = std::filesystem::file_size(path, ec);
    info.size_bytes = ec ? 0 : static_cast<int64_t>(size);
    for (unsigned i = 0; i < fc->nb_streams; ++i) info.streams.push_back(stream_info(fc->streams[i]));
    info.duration_ms = ff::to_ms(fc->duration, AVRational{1, AV_TIME_BASE});
    for (const StreamInfo& s : info.streams) {
        if (info.duration_ms == 0 && !s.attached_picture) info.duration_ms = std::max(info.duration_ms, s.duration_ms);
    }
    info.kind = kind_of(fc, info.streams);
    if (info.kind == MediaKind::Invalid) {
        return make_error(ErrorCode::MediaNoStream, path.string() + ": has no audio, video or image stream",
                          "this file holds no picture or sound Atelier can use");
    }
    int v = ff::best_stream(in->fmt(), AVMEDIA_TYPE_VIDEO, info.kind == MediaKind::Image);
    const StreamInfo* main_video = v >= 0 ? &info.streams[static_cast<size_t>(v)] : nullptr;
    if (main_video && info.kind != MediaKind::Audio) {
        bool quarter = main_video->rotation_deg == 90 || main_video->rotation_deg == 270;
        info.width = quarter ? main_video->height : main_video->width;
        info.height = quarter ? main_video->width : main_video->height;
    }
    if (int a = ff::best_stream(in->fmt(), AVMEDIA_TYPE_AUDIO, false); a >= 0) {
        info.sample_rate_hz = info.streams[static_cast<size_t>(a)].sample_rate_hz;
        info.channels = info.streams[static_cast<size_t>(a)].channels;
    }
    // A still has no duration (image2 reports one frame at 25 fps); animations keep theirs.
    if (info.kind == MediaKind::Image && info.container != "gif" && info.container != "apng") info.duration_ms = 0;
    info.mime = guess_mime(fc, info.kind, main_video);
    return info;
}

}  // namespace

Result<MediaInfo> probe_file(const std::filesystem::path& path) {
    try {
        return probe_impl(path);
    } catch (const std::bad_alloc&) {
        return make_error(ErrorCode::OutOfMemory, path.string() + ": out of memory while probing", "close other programs and retry");
    }
}

}  // namespace atelier::media
