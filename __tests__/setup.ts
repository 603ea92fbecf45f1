import { Testing } from 'cdktf';
// Declares cdktf's matchers on jest's types.
import 'cdktf/lib/testing/adapters/jest';

// Registers cdktf's matchers (toHaveResource, toHaveResourceWithProperties, ...).
Testing.setupJest();
