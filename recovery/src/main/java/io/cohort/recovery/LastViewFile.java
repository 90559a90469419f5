package io.cohort.recovery;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cohort.api.MemberId;
import io.cohort.api.View;
import io.cohort.recovery.fs.DurableFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The last view a replica installed, kept in a small JSON file replaced atomically (temporary file,
 * fsync, rename) at every view change. After a total failure it tells which majority must be back.
 */
final class LastViewFile {

    /** What the file holds. */
    record LastView(long viewId, List<String> members) {
        static final LastView NONE = new LastView(0, List.of());

        LastView {
            members = List.copyOf(members);
        }

        static LastView of(View view) {
            List<String> names = new ArrayList<>(view.size());
            for (MemberId m : view.members()) {
                names.add(m.name());
            }
            return new LastView(view.viewId(), names);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    LastViewFile(Path file) {
        this.file = file;
    }

    Path path() {
        return file;
    }

    /**
     * @return the recorded view, or null if there is no file
     * @throws IOException if the file exists but cannot be read or parsed
     */
    LastView read() throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        LastView v = JSON.readValue(file.toFile(), LastView.class);
        if (v.viewId() < 0 || v.members() == null) {
            throw new IOException("invalid last view " + v);
        }
        return v;
    }

    void write(LastView view) throws IOException {
        DurableFiles.writeAtomically(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(view));
    }
}
