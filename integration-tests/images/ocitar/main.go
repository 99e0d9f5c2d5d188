// ocitar writes a container image as one tar that both `ctr images import` (OCI layout: oci-layout, index.json,
// blobs/sha256/*) and Docker-style readers such as Jib's tar:// base images and `docker load` (manifest.json) accept,
// without a registry or a daemon. Standard library only.
//
//	ocitar -o out.tar -ref localhost/spinneret/pause:dev [-base base.tar] [-layer dir[:prefix]]... \
//	       [-entrypoint '["/pause"]'] [-cmd '[]'] [-env K=V]... [-workdir /] [-user 185]
//
// A layer is a directory's contents (symlinks kept, owner root, mtime 0, files in name order), so the same input
// gives the same digest. With -base, the base image's layers and config come first; flags override its config.
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

type blob struct {
	digest string // sha256:<hex>
	data   []byte
}

func newBlob(b []byte) blob {
	s := sha256.Sum256(b)
	return blob{"sha256:" + hex.EncodeToString(s[:]), b}
}

func (b blob) path() string { return "blobs/sha256/" + strings.TrimPrefix(b.digest, "sha256:") }

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int               `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

func desc(mt string, b blob) descriptor {
	return descriptor{MediaType: mt, Digest: b.digest, Size: len(b.data)}
}

func main() {
	var layers, env multi
	out := flag.String("o", "", "output tar")
	ref := flag.String("ref", "", "image reference written into the archive (e.g. localhost/spinneret/pause:dev)")
	base := flag.String("base", "", "base image tar (written by ocitar or any docker-save style tar)")
	flag.Var(&layers, "layer", "directory whose contents form a layer; dir:prefix puts them under prefix (repeatable)")
	entrypoint := flag.String("entrypoint", "", "JSON array")
	cmd := flag.String("cmd", "", "JSON array")
	flag.Var(&env, "env", "K=V (repeatable; replaces the base's value of K)")
	workdir := flag.String("workdir", "", "working directory")
	user := flag.String("user", "", "user (uid or uid:gid)")
	flag.Parse()
	if *out == "" || *ref == "" || (len(layers) == 0 && *base == "") {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*out, *ref, *base, layers, *entrypoint, *cmd, env, *workdir, *user); err != nil {
		fmt.Fprintln(os.Stderr, "ocitar:", err)
		os.Exit(1)
	}
}

type imageConfig struct {
	Architecture string         `json:"architecture"`
	OS           string         `json:"os"`
	Config       map[string]any `json:"config"`
	RootFS       struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
	History []map[string]any `json:"history,omitempty"`
}

func run(out, ref, base string, layerDirs []string, entrypoint, cmd string, env []string, workdir, user string) error {
	cfg := imageConfig{Architecture: "amd64", OS: "linux", Config: map[string]any{}}
	cfg.RootFS.Type = "layers"
	var layerBlobs []blob
	if base != "" {
		bc, bl, err := readBase(base)
		if err != nil {
			return fmt.Errorf("base %s: %w", base, err)
		}
		cfg = bc
		if cfg.Config == nil {
			cfg.Config = map[string]any{}
		}
		layerBlobs = bl
	}
	for _, spec := range layerDirs {
		dir, prefix, _ := strings.Cut(spec, ":")
		data, err := tarDir(dir, prefix)
		if err != nil {
			return fmt.Errorf("layer %s: %w", spec, err)
		}
		b := newBlob(data)
		layerBlobs = append(layerBlobs, b)
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, b.digest)
		cfg.History = append(cfg.History, map[string]any{"created_by": "ocitar -layer " + filepath.Base(dir)})
	}
	for flagName, v := range map[string]string{"Entrypoint": entrypoint, "Cmd": cmd} {
		if v == "" {
			continue
		}
		var arr []string
		if err := json.Unmarshal([]byte(v), &arr); err != nil {
			return fmt.Errorf("-%s must be a JSON array of strings: %w", strings.ToLower(flagName), err)
		}
		cfg.Config[flagName] = arr
	}
	if len(env) > 0 {
		cfg.Config["Env"] = mergeEnv(cfg.Config["Env"], env)
	}
	if workdir != "" {
		cfg.Config["WorkingDir"] = workdir
	}
	if user != "" {
		cfg.Config["User"] = user
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	cfgBlob := newBlob(cfgJSON)
	manifest := map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        desc("application/vnd.oci.image.config.v1+json", cfgBlob),
	}
	var ls []descriptor
	var layerPaths []string
	for _, b := range layerBlobs {
		ls = append(ls, desc("application/vnd.oci.image.layer.v1.tar", b))
		layerPaths = append(layerPaths, b.path())
	}
	manifest["layers"] = ls
	manJSON, _ := json.Marshal(manifest)
	manBlob := newBlob(manJSON)
	md := desc("application/vnd.oci.image.manifest.v1+json", manBlob)
	md.Annotations = map[string]string{"io.containerd.image.name": ref, "org.opencontainers.image.ref.name": tagOf(ref)}
	index, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
		"manifests": []descriptor{md}})
	docker, _ := json.Marshal([]map[string]any{{"Config": cfgBlob.path(), "RepoTags": []string{ref}, "Layers": layerPaths}})

	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	files := []struct {
		name string
		data []byte
	}{{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)}, {"index.json", index}, {"manifest.json", docker}}
	seen := map[string]bool{}
	for _, b := range append([]blob{cfgBlob, manBlob}, layerBlobs...) {
		if !seen[b.digest] {
			seen[b.digest] = true
			files = append(files, struct {
				name string
				data []byte
			}{b.path(), b.data})
		}
	}
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
	}
	for _, fl := range files {
		if err := tw.WriteHeader(&tar.Header{Name: fl.name, Mode: 0o644, Size: int64(len(fl.data)), ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
		if _, err := tw.Write(fl.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

func tagOf(ref string) string {
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[i+1:]
	}
	return "latest"
}

func mergeEnv(old any, add []string) []string {
	var res []string
	keys := map[string]bool{}
	for _, kv := range add {
		k, _, _ := strings.Cut(kv, "=")
		keys[k] = true
	}
	if arr, ok := old.([]any); ok {
		for _, v := range arr {
			s, _ := v.(string)
			k, _, _ := strings.Cut(s, "=")
			if !keys[k] {
				res = append(res, s)
			}
		}
	}
	return append(res, add...)
}

// tarDir writes dir's contents as an uncompressed, reproducible tar (entries sorted, owner 0, mtime 0).
func tarDir(dir, prefix string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		parts := strings.Split(prefix, "/")
		for i := range parts {
			if err := tw.WriteHeader(&tar.Header{Name: strings.Join(parts[:i+1], "/") + "/", Typeflag: tar.TypeDir,
				Mode: 0o755, ModTime: time.Unix(0, 0)}); err != nil {
				return nil, err
			}
		}
	}
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	for _, p := range paths {
		rel, _ := filepath.Rel(dir, p)
		name := path.Join(prefix, filepath.ToSlash(rel))
		fi, err := os.Lstat(p)
		if err != nil {
			return nil, err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return nil, err
			}
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return nil, err
		}
		h.Name = name
		if fi.IsDir() {
			h.Name += "/"
		}
		h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
		h.ModTime, h.AccessTime, h.ChangeTime = time.Unix(0, 0), time.Time{}, time.Time{}
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return nil, err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// readBase reads a docker-save style archive (manifest.json; layers uncompressed or gzip as stored).
func readBase(p string) (imageConfig, []blob, error) {
	var cfg imageConfig
	f, err := os.Open(p)
	if err != nil {
		return cfg, nil, err
	}
	defer f.Close()
	entries := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return cfg, nil, err
		}
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				return cfg, nil, err
			}
			entries[strings.TrimPrefix(h.Name, "./")] = b
		}
	}
	var man []struct {
		Config string
		Layers []string
	}
	if err := json.Unmarshal(entries["manifest.json"], &man); err != nil || len(man) != 1 {
		return cfg, nil, fmt.Errorf("no single-image manifest.json (%v)", err)
	}
	if err := json.Unmarshal(entries[man[0].Config], &cfg); err != nil {
		return cfg, nil, fmt.Errorf("config %s: %w", man[0].Config, err)
	}
	var bl []blob
	for _, l := range man[0].Layers {
		data, ok := entries[l]
		if !ok {
			return cfg, nil, fmt.Errorf("layer %s missing", l)
		}
		if len(data) > 1 && data[0] == 0x1f && data[1] == 0x8b {
			return cfg, nil, fmt.Errorf("layer %s is compressed; ocitar bases must have uncompressed layers", l)
		}
		bl = append(bl, newBlob(data))
	}
	if len(bl) != len(cfg.RootFS.DiffIDs) {
		return cfg, nil, fmt.Errorf("%d layers but %d diff_ids", len(bl), len(cfg.RootFS.DiffIDs))
	}
	return cfg, bl, nil
}
