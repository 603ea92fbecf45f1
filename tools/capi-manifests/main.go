// capi-manifests renders the deployable manifests of a Cluster API provider
// from the kustomize base in its Go module, as the provider's release does
// (its Makefile: set-manifest-image and set-manifest-pull-policy on
// config/default, then `kustomize build config/default`), followed by what
// clusterctl does on install: `${VAR:=default}` replaced by its default.
//
// Namespaces are left out: the platform stack makes them (with their Pod
// Security level), and a Helm release cannot both live in a namespace and
// create it.
//
//	capi-manifests -module DIR -source MODULE@VERSION -image REGISTRY/NAME:TAG -out FILE
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

var (
	imageLine      = regexp.MustCompile(`(?m)^(\s*-?\s*)image: (\S+)$`)
	pullPolicyLine = regexp.MustCompile(`(?m)^(\s*-?\s*)imagePullPolicy: \S+$`)
	// clusterctl's variables: ${NAME} or ${NAME:=default}.
	variable = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:=([^}]*))?\}`)
)

func main() {
	module := flag.String("module", "", "directory of the provider's Go module (holds config/default)")
	source := flag.String("source", "", "MODULE@VERSION, written into the header")
	image := flag.String("image", "", "the release's controller image, REGISTRY/NAME:TAG")
	out := flag.String("out", "", "file to write")
	flag.Parse()
	if *module == "" || *source == "" || *image == "" || *out == "" {
		fail("usage: capi-manifests -module DIR -source MODULE@VERSION -image REGISTRY/NAME:TAG -out FILE")
	}
	text, err := render(*module, *source, *image)
	if err != nil {
		fail("%s: %v", *source, err)
	}
	if err := os.WriteFile(*out, text, 0o644); err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "capi-manifests: "+format+"\n", args...)
	os.Exit(1)
}

func render(module, source, image string) ([]byte, error) {
	// The module cache is read-only and the release edits two patch files:
	// build from an in-memory copy of config/.
	mem := filesys.MakeFsInMemory()
	root := filepath.Join(module, "config")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return mem.WriteFile(path.Join("/config", filepath.ToSlash(rel)), data)
	})
	if err != nil {
		return nil, err
	}

	patch := "/config/default/manager_image_patch.yaml"
	data, err := mem.ReadFile(patch)
	if err != nil {
		return nil, err
	}
	found := imageLine.FindAllSubmatch(data, -1)
	if len(found) != 1 {
		return nil, fmt.Errorf("%s: expected one image line, found %d", patch, len(found))
	}
	// The pinned image must be the one the base names, only from the release registry and tag.
	if base, pinned := imageName(string(found[0][2])), imageName(image); base != pinned {
		return nil, fmt.Errorf("%s names the image %s, the pinned one is %s: pin %s/...%s:<tag>", patch, found[0][2], image, "<registry>", base)
	}
	data = imageLine.ReplaceAll(data, []byte("${1}image: "+image))
	if err := mem.WriteFile(patch, data); err != nil {
		return nil, err
	}
	policy := "/config/default/manager_pull_policy.yaml"
	if data, err = mem.ReadFile(policy); err != nil {
		return nil, err
	}
	if err := mem.WriteFile(policy, pullPolicyLine.ReplaceAll(data, []byte("${1}imagePullPolicy: IfNotPresent"))); err != nil {
		return nil, err
	}

	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, "/config/default")
	if err != nil {
		return nil, err
	}
	for _, r := range resources.Resources() {
		if r.GetKind() == "Namespace" {
			if err := resources.Remove(r.CurId()); err != nil {
				return nil, err
			}
		}
	}
	text, err := resources.AsYaml()
	if err != nil {
		return nil, err
	}
	var missing []string
	text = variable.ReplaceAllFunc(text, func(m []byte) []byte {
		parts := variable.FindSubmatch(m)
		if parts[2] == nil {
			missing = append(missing, string(parts[1]))
			return m
		}
		return parts[3]
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("variables without a default (clusterctl would require them): %s", strings.Join(missing, ", "))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s config/default, built by tools/capi-manifests (kustomize/api) as the release does,\n", source)
	fmt.Fprintf(&b, "# controller image %s, variables at their defaults, namespaces left out.\n", image)
	b.WriteString("# Generated: scripts/check-cluster-api.sh --write; CI regenerates it and compares.\n")
	b.Write(text)
	return b.Bytes(), nil
}

// imageName is an image reference without registry and tag: gcr.io/x/name:tag -> name.
func imageName(ref string) string {
	name := ref[strings.LastIndex(ref, "/")+1:]
	if i := strings.Index(name, ":"); i >= 0 {
		name = name[:i]
	}
	return name
}
