package io.lineside.inspection;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;
import org.jboss.logging.Logger;

/** Used only while no durable journal bean is installed: outcomes are not persisted. */
@Dependent
public class UnjournaledCommit {
    private static final Logger LOG = Logger.getLogger(UnjournaledCommit.class);

    @Produces
    @DefaultBean
    @ApplicationScoped
    VerdictJournal noJournal() {
        LOG.warn("no durable verdict journal is installed: outcomes are not persisted");
        return outcome -> {
        };
    }
}
