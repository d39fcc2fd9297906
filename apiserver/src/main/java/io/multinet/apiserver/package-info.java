/**
 * The embedded API server (fabric8's mock server in CRUD mode, with an indexed dispatcher that
 * resumes watches) and the loader of manifests into it.
 */
@NullMarked
package io.multinet.apiserver;

import org.jspecify.annotations.NullMarked;
