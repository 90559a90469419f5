package io.cohort.recovery.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;

/** The file-system steps that make writes durable, shared by the log, the checkpoints and the storage. */
public final class DurableFiles {

    /**
     * Some platforms (Windows) refuse to open a directory as a file channel, so a directory cannot
     * be synced there; everywhere else a failure to sync it is a real I/O error and is reported.
     */
    private static final boolean DIRECTORY_SYNC_REFUSED =
            System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");

    private DurableFiles() {
    }

    /**
     * Makes a directory's entries (creations, renames, deletions) durable.
     *
     * @param directory the directory
     * @throws IOException if the sync fails on a platform that supports it
     */
    public static void syncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            if (!DIRECTORY_SYNC_REFUSED) {
                throw e;
            }
            // Windows cannot open a directory as a channel; NTFS journals renames itself, so there
            // is nothing more to do and nothing is lost by going on.
        }
    }

    /**
     * Replaces {@code file} with {@code bytes} so that a crash leaves either the old or the new
     * content, never a mix: a temporary file, synced, atomically renamed, then the directory synced.
     *
     * @param file  the file
     * @param bytes its new content
     * @throws IOException if it cannot be written
     */
    public static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                ch.write(buffer);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(file.getParent());
    }

    /**
     * Deletes a directory tree, if it exists.
     *
     * @param root the tree's root
     * @throws IOException if something in it cannot be deleted
     */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
