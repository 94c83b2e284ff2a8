// atelier: the studio executable. Usage: atelier [PROJECT.atelier]
// Sets up the application identity (QSettings "Atelier"/"Atelier"), applies the saved theme,
// shows the main window and opens the project named on the command line (how a desktop
// double-click on a .atelier file arrives). Runs on the main (GUI) thread.
#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include "core/version.h"
#include "gui/app/resources.h"
#include "gui/app/settings.h"
#include "gui/app/theme.h"
#include "gui/main-window.h"

static void describe(QCommandLineParser& parser) {
    parser.setApplicationDescription(QApplication::translate("main", "Atelier: a studio for local generative AI."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("project"),
                                 QApplication::translate("main", "An .atelier project file to open."),
                                 QStringLiteral("[PROJECT.atelier]"));
}

// --help / --version must work without a display: answer them before any window system starts.
static bool wantsInfoOnly(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const QByteArray a(argv[i]);
        if (a == "--help" || a == "-h" || a == "--version" || a == "-v" || a == "--help-all") return true;
    }
    return false;
}

int main(int argc, char** argv) {
    QCoreApplication::setOrganizationName(QStringLiteral("Atelier"));
    QCoreApplication::setApplicationName(QStringLiteral("Atelier"));
    QCoreApplication::setApplicationVersion(QStringLiteral(ATELIER_VERSION));
    if (wantsInfoOnly(argc, argv)) {
        QCoreApplication core(argc, argv);
        QCommandLineParser parser;
        describe(parser);
        parser.process(core);  // prints and exits
        return 0;
    }
    QApplication::setDesktopFileName(QStringLiteral("atelier"));
    QApplication app(argc, argv);
    app.setWindowIcon(gui::appIcon());
    QCommandLineParser parser;
    describe(parser);
    parser.process(app);

    gui::applyTheme(gui::AppSettings::load().theme);
    gui::MainWindow window;
    window.show();
    const QStringList args = parser.positionalArguments();
    if (!args.isEmpty()) {
        const QString path = args.first();
        QTimer::singleShot(0, &window, [&window, path] { window.openProject(path); });
    }
    return app.exec();
}
