package io.lineside.model;

import java.util.Optional;

/** CDI event fired after a model became the active one (at start-up, and on every swap). */
public record ModelActivated(LoadedModel current, Optional<LoadedModel> previous) {
}
