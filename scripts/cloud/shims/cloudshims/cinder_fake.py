"""Cinder's own fake logging driver, cloning images as a Ceph backend does.

Without a driver-side clone, Cinder downloads the image and inspects it with
qemu-img through privsep (sudo), then writes it through os-brick; a test
cloud has neither a block device nor qemu-img. Infomaniak's volumes are
Ceph RBD, whose driver clones the image inside the cluster: this driver
answers "cloned" the same way, so a volume from an image is created, which
is what boot from volume needs from the API.
"""
from cinder.tests import fake_driver


class FakeImageVolumeDriver(fake_driver.FakeLoggingVolumeDriver):
    def copy_image_to_volume(self, context, volume, image_service, image_id,
                             disable_sparse=False):
        pass

    def clone_image(self, context, volume, image_location, image_meta,
                    image_service):
        return {}, True
