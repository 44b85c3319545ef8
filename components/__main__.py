"""The component package's plugin entry: hosts every Slate component for `pulumi package add`."""

import sys
from pathlib import Path

# The CLI runs this file from inside components/; the package is imported from its parent.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi.provider.experimental import component_provider_host

from components import COMPONENTS, PACKAGE_NAME, PACKAGE_VERSION

if __name__ == "__main__":
    component_provider_host(components=COMPONENTS, name=PACKAGE_NAME, version=PACKAGE_VERSION)
