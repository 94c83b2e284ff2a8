// ErrorCode -> user text. Keep sentences short; always end with what the user can do.
#include "gui/app/error-text.h"

#include <QCoreApplication>

namespace gui {

using atelier::ErrorCode;

static QString tr(const char* s) { return QCoreApplication::translate("ErrorText", s); }

static QString baseMessage(ErrorCode code) {
    switch (code) {
        case ErrorCode::ProjectNotAtelier:
            return tr("This file is not an Atelier project. Choose a file that ends in .atelier.");
        case ErrorCode::ProjectTooNew:
            return tr("This project was made by a newer version of Atelier. Update Atelier to open it.");
        case ErrorCode::ProjectCorrupt:
            return tr("This project file is damaged and cannot be opened. Restore it from a backup, "
                      "or open a copy made with Save As.");
        case ErrorCode::ProjectReadOnly:
        case ErrorCode::PermissionDenied:
            return tr("Atelier cannot write to this project or its folder. Check the file permissions, "
                      "or use Save As to keep working in a folder you can write to.");
        case ErrorCode::ProjectBusy:
            return tr("This project is in use by another program. Close it there, then try again.");
        case ErrorCode::DiskFull:
            return tr("The disk is full. Free some space, then try again.");
        case ErrorCode::ProjectNotFound:
        case ErrorCode::NotFound:
            return tr("The file was not found. It may have been moved or deleted.");
        case ErrorCode::AlreadyExists:
            return tr("A file with this name already exists. Choose another name.");
        case ErrorCode::ProjectMigrationFailed:
            return tr("This project uses an older format and could not be upgraded. The file was not changed.");
        case ErrorCode::ProjectSql:
            return tr("An unexpected database error occurred. The file may be damaged.");
        case ErrorCode::IoError:
            return tr("A file could not be read or written.");
        case ErrorCode::MediaOpenFailed:
        case ErrorCode::MediaNoStream:
        case ErrorCode::MediaUnsupported:
            return tr("This file is not a supported image, audio or video file.");
        case ErrorCode::MediaDecodeFailed:
            return tr("This media file could not be decoded; it may be damaged.");
        case ErrorCode::Cancelled:
            return tr("Cancelled.");
        default:
            return tr("Something went wrong.");
    }
}

QString userMessage(const atelier::Error& error) {
    QString msg = baseMessage(error.code);
    if (!error.hint.empty()) {
        const QString hint = QString::fromStdString(error.hint);
        QString h = hint;
        if (!h.isEmpty()) h[0] = h[0].toUpper();
        if (!h.endsWith(u'.')) h += u'.';
        if (!msg.contains(hint, Qt::CaseInsensitive)) msg += u' ' + h;
    }
    return msg;
}

QString projectErrorTitle(const atelier::Error& error) {
    switch (error.code) {
        case ErrorCode::ProjectTooNew: return tr("Newer project format");
        case ErrorCode::ProjectNotAtelier: return tr("Not an Atelier project");
        case ErrorCode::ProjectCorrupt: return tr("Damaged project");
        case ErrorCode::ProjectReadOnly:
        case ErrorCode::PermissionDenied: return tr("Project is read-only");
        case ErrorCode::ProjectBusy: return tr("Project is busy");
        case ErrorCode::DiskFull: return tr("Disk full");
        default: return tr("Cannot open project");
    }
}

QString detailText(const atelier::Error& error) {
    return QStringLiteral("%1 (%2)").arg(QString::fromStdString(error.detail),
                                         QString::fromLatin1(atelier::error_code_name(error.code)));
}

}  // namespace gui
