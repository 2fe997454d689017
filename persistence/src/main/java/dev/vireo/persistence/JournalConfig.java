package dev.vireo.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValueFactory;

import java.nio.file.Path;

/** The embedded journal's configuration ({@value #RESOURCE}) for one data directory. */
public final class JournalConfig {

    /** The classpath resource an application config can {@code include}. */
    public static final String RESOURCE = "vireo-persistence.conf";
    public static final String DATA_DIR = "vireo.data-dir";
    /** The JDBC URL of the journal database, built from {@value #DATA_DIR}. */
    public static final String JOURNAL_URL = "vireo.persistence.journal-url";
    static final String SHARED_DB_URL = "pekko-persistence-jdbc.shared-databases.vireo.db.url";

    private JournalConfig() {
    }

    /**
     * {@value #RESOURCE} resolved for {@code dataDir}; the journal lives in {@code dataDir/journal.mv.db}.
     * Put application settings in front with {@code withFallback}; the ActorSystem adds reference.conf.
     */
    public static Config forDataDir(Path dataDir) {
        return forDataDir(dataDir, ConfigFactory.empty());
    }

    /** As {@link #forDataDir(Path)}, with {@code overrides} (unresolved, e.g. h2-url-options) applied before resolving. */
    public static Config forDataDir(Path dataDir, Config overrides) {
        Config resource = ConfigFactory.parseResources(JournalConfig.class.getClassLoader(), RESOURCE,
                ConfigParseOptions.defaults().setAllowMissing(false));
        return overrides
                .withValue(DATA_DIR, ConfigValueFactory.fromAnyRef(dataDir.toAbsolutePath().normalize().toString()))
                .withFallback(resource)
                .resolve();
    }
}
