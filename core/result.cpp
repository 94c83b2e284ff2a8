// Names for error codes and message formatting. Thread-safety: pure functions.
#include "core/result.h"

namespace atelier {

const char* error_code_name(ErrorCode code) {
    switch (code) {
        case ErrorCode::Invalid: return "invalid";
        case ErrorCode::Unknown: return "unknown";
        case ErrorCode::Cancelled: return "cancelled";
        case ErrorCode::InvalidArgument: return "invalid_argument";
        case ErrorCode::IoError: return "io_error";
        case ErrorCode::NotFound: return "not_found";
        case ErrorCode::OutOfMemory: return "out_of_memory";
        case ErrorCode::Unsupported: return "unsupported";
        case ErrorCode::Internal: return "internal";
        case ErrorCode::AlreadyExists: return "already_exists";
        case ErrorCode::PermissionDenied: return "permission_denied";
        case ErrorCode::DiskFull: return "disk_full";
        case ErrorCode::Timeout: return "timeout";
        case ErrorCode::ModelFormat: return "model_format";
        case ErrorCode::ModelTruncated: return "model_truncated";
        case ErrorCode::ModelUnsupported: return "model_unsupported";
        case ErrorCode::DeviceFailed: return "device_failed";
        case ErrorCode::ContextFull: return "context_full";
        case ErrorCode::MediaOpenFailed: return "media_open_failed";
        case ErrorCode::MediaNoStream: return "media_no_stream";
        case ErrorCode::MediaDecodeFailed: return "media_decode_failed";
        case ErrorCode::MediaEncodeFailed: return "media_encode_failed";
        case ErrorCode::MediaUnsupported: return "media_unsupported";
        case ErrorCode::AudioDeviceFailed: return "audio_device_failed";
        case ErrorCode::ProjectNotAtelier: return "project_not_atelier";
        case ErrorCode::ProjectTooNew: return "project_too_new";
        case ErrorCode::ProjectCorrupt: return "project_corrupt";
        case ErrorCode::ProjectReadOnly: return "project_read_only";
        case ErrorCode::ProjectBusy: return "project_busy";
        case ErrorCode::ProjectSql: return "project_sql";
        case ErrorCode::ProjectMigrationFailed: return "project_migration_failed";
        case ErrorCode::ProjectNotFound: return "project_not_found";
        case ErrorCode::ProjectObjectNotFound: return "project_object_not_found";
        case ErrorCode::PipelineFailed: return "pipeline_failed";
        case ErrorCode::ImportFailed: return "import_failed";
        case ErrorCode::ExportFailed: return "export_failed";
    }
    return "unknown";
}

std::string Error::message() const {
    std::string s = detail.empty() ? std::string(error_code_name(code)) : detail;
    if (!hint.empty()) s += " (" + hint + ")";
    return s;
}

}  // namespace atelier
