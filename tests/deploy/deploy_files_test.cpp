// The deployment files (docker/, k8s/, slurm/) checked as far as this machine allows without a
// container runtime or a cluster: every YAML document parses (PyYAML, python3-yaml), the shapes
// the docs promise are there (multi-stage Dockerfile built with scripts/install-deps.sh and run
// as a non-root user; compose coordinator + workers + database volume; a 1-replica StatefulSet
// with a volume claim, a Service with 5555 and 8080, /healthz probes, grace periods; a Slurm
// script that drains on USR1), and every `gapbench ...` command line in any of these files
// (YAML argument lists, shell lines, Dockerfile exec forms, README code blocks) runs with
// `--help` appended and exits 0 — so each subcommand and each option used exists in the CLI.
// Not here: building the image or starting pods (CI with Docker/kind would).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "common/json.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

namespace fs = std::filesystem;
using testing::GapbenchBin;
using testing::ReadFile;
using testing::RunProcess;
using testing::SourceDir;
using testing::TempDir;
using testing::WriteFile;

// Prints, as JSON, {"commands": [{"where", "argv"}], "docs": {file: [documents]}} for the files
// given. gapbench command lines are found in YAML string lists (exec form), in shell text (YAML
// strings, scripts, Dockerfiles, fenced code blocks of Markdown) after shell-splitting with
// variables replaced by "1", and in Dockerfile JSON exec forms. argv is what follows the
// `gapbench` word up to a shell operator or redirection.
constexpr const char* kExtractor = R"PY(
import json, re, shlex, sys
import yaml

STOP = {'&', '&&', '||', ';', '|', ')', ';;', '\\'}
VAR = re.compile(r'\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\$[0-9]')

# Words that run the command given after them (with their own options in between).
LAUNCHERS = {'srun', 'mpirun', 'docker', 'kubectl', 'exec', 'nohup', 'env', 'timeout', 'sudo',
             'tini', 'time', 'xargs', 'CMD', 'CMD-SHELL'}

def from_tokens(tokens, where, out):
    # Split into simple commands at shell operators; a `gapbench` word is an invocation when it
    # is the command word, or when the command word is a launcher (srun ... gapbench worker ...).
    # `useradd --gid gapbench ...` is not.
    segments, cur = [], []
    for t in tokens:
        if t in STOP:
            segments.append(cur)
            cur = []
        else:
            cur.append(t)
    segments.append(cur)
    for seg in segments:
        i = 0
        if seg and re.fullmatch(r'[A-Z]+', seg[0]) and seg[0] not in LAUNCHERS:
            i = 1  # Dockerfile instruction (RUN ...)
        while i < len(seg) and re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*=.*', seg[i]):
            i += 1  # VAR=value prefixes
        if i >= len(seg):
            continue
        head = seg[i].rsplit('/', 1)[-1]
        if seg[i] == 'gapbench':
            start = i
        elif head in LAUNCHERS and 'gapbench' in seg[i + 1:]:
            start = seg.index('gapbench', i + 1)
        else:
            continue
        argv = []
        for u in seg[start + 1:]:
            if u[:1] in '<>' or re.match(r'^[0-9]+[<>]', u):
                break
            argv.append(u)
        if argv:
            out.append({'where': where, 'argv': argv})

def from_shell(text, where, out):
    text = re.sub(r'\\\n', ' ', text)
    for n, line in enumerate(text.split('\n'), 1):
        if 'gapbench' not in line:
            continue
        m = re.match(r'^\s*(?:[A-Z]+\s+)?(\[.*\])\s*$', line)
        if m:
            try:
                tokens = json.loads(m.group(1))
            except ValueError:
                tokens = None
            if isinstance(tokens, list):
                from_tokens([VAR.sub('1', str(t)) for t in tokens], f'{where}:{n}', out)
                continue
        try:
            tokens = shlex.split(VAR.sub('1', line), comments=True)
        except ValueError as e:
            sys.exit(f'{where}:{n}: cannot split as shell: {e}')
        from_tokens(tokens, f'{where}:{n}', out)

def walk(node, where, out):
    if isinstance(node, dict):
        for k, v in node.items():
            walk(v, f'{where}.{k}', out)
    elif isinstance(node, list):
        if node and all(isinstance(x, (str, int, float)) for x in node) and 'gapbench' in node:
            from_tokens([VAR.sub('1', str(x)) for x in node], where, out)
        else:
            for i, x in enumerate(node):
                walk(x, f'{where}[{i}]', out)
    elif isinstance(node, str) and 'gapbench' in node:
        from_shell(node, where, out)

out, docs = [], {}
for path in sys.argv[1:]:
    text = open(path, encoding='utf-8').read()
    if path.endswith(('.yaml', '.yml')):
        try:
            documents = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as e:
            sys.exit(f'{path}: YAML does not parse: {e}')
        docs[path] = documents
        walk(documents, path, out)
    elif path.endswith('.md'):
        blocks = re.findall(r'^```[^\n]*\n(.*?)^```', text, re.S | re.M)
        for b in blocks:
            from_shell(b, path, out)
    else:
        from_shell(text, path, out)
print(json.dumps({'commands': out, 'docs': docs}))
)PY";

std::vector<std::string> DeployFiles() {
  std::vector<std::string> files;
  for (const char* dir : {"docker", "k8s", "slurm"}) {
    const fs::path root = SourceDir() / dir;
    if (!fs::exists(root)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (e.is_regular_file()) files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

struct Extracted {
  rapidjson::Document doc;
  testing::ProcessResult run;
};

Extracted Extract(const std::vector<std::string>& files) {
  TempDir dir;
  WriteFile(dir / "extract.py", kExtractor);
  std::vector<std::string> argv = {"python3", (dir / "extract.py").string()};
  argv.insert(argv.end(), files.begin(), files.end());
  Extracted x;
  x.run = RunProcess(argv);
  if (x.run.exit_code == 0) x.doc = ParseJson(x.run.out, "extract.py output");
  return x;
}

std::string Join(const rapidjson::Value& argv) {
  std::string s = "gapbench";
  for (const auto& a : argv.GetArray()) s += std::string(" ") + a.GetString();
  return s;
}

// The parsed documents of one file (relative path under the source tree).
const rapidjson::Value& Docs(const Extracted& x, const std::string& rel) {
  const std::string key = (SourceDir() / rel).string();
  EXPECT_TRUE(x.doc["docs"].HasMember(key.c_str())) << key;
  return x.doc["docs"][key.c_str()];
}

const rapidjson::Value* FindKind(const rapidjson::Value& docs, const char* kind) {
  for (const auto& d : docs.GetArray()) {
    if (d.IsObject() && d.HasMember("kind") && std::string(d["kind"].GetString()) == kind) {
      return &d;
    }
  }
  return nullptr;
}

std::string ArgvText(const rapidjson::Value& list) {
  std::string s;
  for (const auto& a : list.GetArray()) s += std::string(a.IsString() ? a.GetString() : "?") + " ";
  return s;
}

TEST(DeployFiles, EveryYamlParses) {
  const auto files = DeployFiles();
  int yaml_files = 0;
  for (const auto& f : files) {
    if (!f.ends_with(".yaml") && !f.ends_with(".yml")) continue;
    ++yaml_files;
    const auto r = RunProcess(
        {"python3", "-c", "import yaml,sys; list(yaml.safe_load_all(open(sys.argv[1])))", f});
    EXPECT_EQ(r.exit_code, 0) << f << ": " << r.err;
  }
  EXPECT_GE(yaml_files, 4);  // compose + three k8s manifests at least
  // The check itself can fail.
  TempDir dir;
  WriteFile(dir / "bad.yaml", "a: [1, 2\nb: {\n");
  const auto r =
      RunProcess({"python3", "-c", "import yaml,sys; list(yaml.safe_load_all(open(sys.argv[1])))",
                  (dir / "bad.yaml").string()});
  EXPECT_NE(r.exit_code, 0);
}

TEST(DeployFiles, DockerfileIsMultiStageWithTheReadmeScriptAndANonRootUser) {
  const std::string text = ReadFile(SourceDir() / "docker" / "Dockerfile");
  ASSERT_FALSE(text.empty());
  std::vector<std::string> froms;
  std::string last_user;
  size_t last_from = 0, last_user_pos = std::string::npos;
  bool runs_install_deps = false;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    const std::string line = text.substr(pos, end - pos);
    if (line.rfind("FROM ", 0) == 0) {
      froms.push_back(line);
      last_from = pos;
    }
    if (line.rfind("USER ", 0) == 0) {
      last_user = line.substr(5);
      last_user_pos = pos;
    }
    if (line.rfind("RUN ", 0) == 0 && line.find("scripts/install-deps.sh") != std::string::npos) {
      runs_install_deps = true;
    }
    pos = end + 1;
  }
  EXPECT_GE(froms.size(), 2u) << "not multi-stage";
  EXPECT_TRUE(runs_install_deps) << "the build stage must RUN scripts/install-deps.sh";
  EXPECT_NE(text.find("debian:12-slim"), std::string::npos);
  EXPECT_NE(text.find("COPY --from=build"), std::string::npos);
  ASSERT_NE(last_user_pos, std::string::npos) << "no USER";
  EXPECT_GT(last_user_pos, last_from) << "USER must be set in the final stage";
  EXPECT_NE(last_user, "root");
  EXPECT_NE(last_user.rfind("0", 0), 0u) << last_user;
  // The README's set-up and the image use the same script.
  EXPECT_NE(ReadFile(SourceDir() / "scripts" / "build.sh").find("scripts/install-deps.sh"),
            std::string::npos);
}

TEST(DeployFiles, ComposeAndKubernetesHaveTheDocumentedShape) {
  const auto x = Extract(DeployFiles());
  ASSERT_EQ(x.run.exit_code, 0) << x.run.err;

  const auto& compose = Docs(x, "docker/compose.yaml")[0];
  const auto& coord = compose["services"]["coordinator"];
  const std::string coord_cmd = ArgvText(coord["command"]);
  EXPECT_NE(coord_cmd.find("--http 0.0.0.0:8080"), std::string::npos) << coord_cmd;
  EXPECT_NE(coord_cmd.find("--db /data/"), std::string::npos) << coord_cmd;
  EXPECT_NE(ArgvText(coord["volumes"]).find(":/data"), std::string::npos);
  EXPECT_TRUE(compose["volumes"].HasMember("results"));
  EXPECT_NE(
      ArgvText(compose["services"]["worker"]["command"]).find("--connect tcp://coordinator:5555"),
      std::string::npos);

  const auto& coordinator = Docs(x, "k8s/coordinator.yaml");
  const auto* sts = FindKind(coordinator, "StatefulSet");
  ASSERT_NE(sts, nullptr);
  EXPECT_EQ((*sts)["spec"]["replicas"].GetInt(), 1);
  EXPECT_GE((*sts)["spec"]["volumeClaimTemplates"].Size(), 1u);
  const auto& pod = (*sts)["spec"]["template"]["spec"];
  EXPECT_TRUE(pod.HasMember("terminationGracePeriodSeconds"));
  const auto& c = pod["containers"][0];
  for (const char* probe : {"livenessProbe", "readinessProbe"}) {
    ASSERT_TRUE(c.HasMember(probe)) << probe;
    EXPECT_EQ(std::string(c[probe]["httpGet"]["path"].GetString()), "/healthz") << probe;
  }
  const auto* svc = FindKind(coordinator, "Service");
  ASSERT_NE(svc, nullptr);
  std::set<int> ports;
  for (const auto& p : (*svc)["spec"]["ports"].GetArray()) ports.insert(p["port"].GetInt());
  EXPECT_EQ(ports, (std::set<int>{5555, 8080}));
  const std::string svc_name = (*svc)["metadata"]["name"].GetString();

  const auto* workers = FindKind(Docs(x, "k8s/workers.yaml"), "Deployment");
  ASSERT_NE(workers, nullptr);
  const auto& wpod = (*workers)["spec"]["template"]["spec"];
  EXPECT_TRUE(wpod.HasMember("terminationGracePeriodSeconds"));
  EXPECT_NE(ArgvText(wpod["containers"][0]["command"]).find("tcp://" + svc_name + ":5555"),
            std::string::npos);
}

TEST(DeployFiles, SlurmScriptDrainsOnUsr1) {
  const auto path = SourceDir() / "slurm" / "gapbench.sbatch";
  const std::string text = ReadFile(path);
  EXPECT_NE(text.find("#SBATCH --signal=B:USR1@"), std::string::npos);
  EXPECT_NE(text.find("trap "), std::string::npos);
  EXPECT_NE(text.find("USR1"), std::string::npos);
  EXPECT_NE(text.find("srun "), std::string::npos);
  const auto r = RunProcess({"bash", "-n", path.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(DeployFiles, EveryGapbenchCommandLineIsValid) {
  const auto x = Extract(DeployFiles());
  ASSERT_EQ(x.run.exit_code, 0) << x.run.err;
  const auto& commands = x.doc["commands"];
  std::set<std::string> subcommands;
  for (const auto& cmd : commands.GetArray()) {
    const auto& argv = cmd["argv"];
    std::vector<std::string> run = {GapbenchBin()};
    for (const auto& a : argv.GetArray()) run.emplace_back(a.GetString());
    run.emplace_back("--help");
    subcommands.insert(run[1]);
    // Without CURVE a coordinator refuses a non-loopback bind unless told --insecure.
    const std::string line = Join(argv);
    if (run[1] == "coordinator" && line.find("--bind tcp://0.0.0.0") != std::string::npos) {
      EXPECT_TRUE(line.find("--insecure") != std::string::npos ||
                  line.find("--curve-keys") != std::string::npos)
          << cmd["where"].GetString() << ": '" << line << "' would be refused";
    }
    const auto r = RunProcess(run);
    EXPECT_EQ(r.exit_code, 0) << cmd["where"].GetString() << ": '" << Join(argv)
                              << " --help' is not a valid invocation:\n"
                              << r.err;
  }
  // The files must really contain what a deployment needs (and the extractor must find it).
  for (const char* want : {"coordinator", "worker", "status"}) {
    EXPECT_TRUE(subcommands.count(want)) << "no 'gapbench " << want << "' found";
  }
  EXPECT_GE(commands.Size(), 8u);
}

TEST(DeployFiles, TheCommandCheckCatchesAnUnknownOption) {
  TempDir dir;
  WriteFile(dir / "job.sh",
            "#!/bin/sh\n# gapbench worker --ignored-in-comments\n"
            "srun gapbench status --http \"${HOST}:8080\" --no-such-option &\n");
  WriteFile(dir / "pod.yaml", "command: [\"gapbench\", \"nosuchcommand\", \"--x\"]\n");
  const auto x = Extract({(dir / "job.sh").string(), (dir / "pod.yaml").string()});
  ASSERT_EQ(x.run.exit_code, 0) << x.run.err;
  const auto& commands = x.doc["commands"];
  ASSERT_EQ(commands.Size(), 2u) << x.run.out;
  EXPECT_EQ(Join(commands[0]["argv"]), "gapbench status --http 1:8080 --no-such-option");
  EXPECT_EQ(Join(commands[1]["argv"]), "gapbench nosuchcommand --x");
  for (const auto& cmd : commands.GetArray()) {
    std::vector<std::string> run = {GapbenchBin()};
    for (const auto& a : cmd["argv"].GetArray()) run.emplace_back(a.GetString());
    run.emplace_back("--help");
    EXPECT_NE(RunProcess(run).exit_code, 0) << Join(cmd["argv"]);
  }
}

}  // namespace
}  // namespace gapbench
