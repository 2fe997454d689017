package dev.vireo.protocol;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The VM domain is plain code: it decides and applies, and the adapters around it do the I/O. Jackson's
 * annotations are allowed (they only describe the data); its mappers are not.
 */
@AnalyzeClasses(packages = "dev.vireo.protocol", importOptions = ImportOption.DoNotIncludeTests.class)
class DomainArchitectureTest {

    private static final String DOMAIN = "dev.vireo.protocol.vm..";

    @ArchTest
    static final ArchRule domainKnowsNoActorsNorHypervisor = noClasses().that().resideInAPackage(DOMAIN)
            .should().dependOnClassesThat().resideInAnyPackage("org.apache.pekko..", "org.libvirt..", "scala..")
            .because("the entity adapts the domain to Pekko, the node agent to libvirt");

    @ArchTest
    static final ArchRule domainDoesNoNetworkingNorIo = noClasses().that().resideInAPackage(DOMAIN)
            .should().dependOnClassesThat().resideInAnyPackage("java.net..", "java.io..", "java.nio..", "java.sql..",
                    "javax.net..", "org.apache.pekko.http..", "io.fabric8..")
            .because("decide and apply are pure: same state and command, same decision");

    @ArchTest
    static final ArchRule domainStartsNoThreads = noClasses().that().resideInAPackage(DOMAIN)
            .should().dependOnClassesThat().resideInAnyPackage("java.util.concurrent..")
            .orShould().dependOnClassesThat().areAssignableTo(Thread.class)
            .because("the entity is the single writer; the domain has no concurrency of its own");

    @ArchTest
    static final ArchRule domainReadsNoClockNorDice = noClasses().that().resideInAPackage(DOMAIN)
            .should().callMethod(java.time.Instant.class, "now")
            .orShould().callMethod(System.class, "currentTimeMillis")
            .orShould().callMethod(System.class, "nanoTime")
            .orShould().dependOnClassesThat().areAssignableTo(java.time.Clock.class)
            .orShould().dependOnClassesThat().areAssignableTo(java.util.Random.class)
            .because("time comes in with the command (decide(state, command, now)), so replays are exact");

    @ArchTest
    static final ArchRule domainUsesOnlyJacksonAnnotations = noClasses().that().resideInAPackage(DOMAIN)
            .should().dependOnClassesThat().resideInAnyPackage("com.fasterxml.jackson.databind..",
                    "com.fasterxml.jackson.core..", "com.fasterxml.jackson.dataformat..")
            .because("serialization is configured outside the domain; annotations only describe the data");

    @ArchTest
    static final ArchRule domainDoesNotKnowTheApi = noClasses().that().resideInAPackage(DOMAIN)
            .should().dependOnClassesThat().resideInAPackage("dev.vireo.protocol.api..")
            .because("the API's shapes are built from the domain, not the other way round");
}
